package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;
import dev.podswitch.cni.PluginClient;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The CNI spec (1.0.0, and 1.1.0's GC and STATUS) on the agent's side: one plugin invocation —
 * its {@code CNI_*} variables and the network config it read on stdin — in, the exit status and
 * what the plugin prints out. Validation comes first and fails with the spec's codes (4 for the
 * environment, 6 for undecodable JSON, 7 for a bad config, 1 for a version podswitch does not
 * speak); the answer is always in the config's {@code cniVersion}.
 *
 * <p>DEL is idempotent: it succeeds when repeated, without prevResult, when the namespace is gone
 * and after a failed ADD — and releases the IP in every case. ADD refuses a (container id,
 * interface) that is already attached. Called by one thread at a time (the agent serialises).
 *
 * <p>Crash-safe: ADD records its intent before it leases an IP or makes a device, and replaces it
 * with the finished record last; DEL removes the device, then the lease, then the record. An
 * agent that dies anywhere in between leaves a record naming what may be left, which the next
 * start-up, a retried ADD, DEL or GC undoes ({@link CniRecovery}); a disk that cannot keep a record
 * fails the request with code 5 and changes nothing recorded.
 *
 * <p>Why this file is over 400 lines: the CNI verbs (ADD, DEL, CHECK, GC, STATUS, VERSION) share
 * the crash-safe ordering of lease, device and record, and each verb's error codes are the spec's;
 * kept together so that ordering is stated once.
 */
public final class CniHandler
{
    /** What the plugin exits with and prints. */
    public record Outcome(int exitStatus, String stdout, String stderr)
    {
        static Outcome success(final String stdout)
        {
            return new Outcome(0, stdout, "");
        }

        /**
         * 0 for a success, else the {@code code} of the CNI error it prints (the exit status when it
         * prints none). Parses the answer again, which only metrics need, at CNI rates.
         */
        public int errorCode()
        {
            if (exitStatus == 0)
            {
                return 0;
            }
            try
            {
                final JsonNode answer = JSON.readTree(stdout);
                final JsonNode code = answer == null ? null : answer.path("code");
                return code != null && code.canConvertToInt() ? code.intValue() : exitStatus;
            }
            catch (final JsonProcessingException notJson)
            {
                return exitStatus;
            }
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CONTAINER_ID = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.\\-]*");
    private static final Pattern NETWORK_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.\\-]*");
    /** What Linux takes as a device name (at most 15 bytes) and what is safe in an {@code ip -batch} line: no '#', quotes or spaces. */
    private static final Pattern IF_NAME = Pattern.compile("[A-Za-z0-9_.\\-]{1,15}");

    /** ADD's check of CNI_NETNS: {@link NetworkNamespaceFile#require}; tests without namespaces give their own. */
    @FunctionalInterface
    interface NamespaceCheck
    {
        /** @throws CniError with the spec's code when ADD must not use {@code netns}. */
        void require(String netns);
    }

    private final PodNetwork network;
    private final AttachmentStore attachments;
    private final NamespaceCheck namespaceCheck;

    public CniHandler(final PodNetwork network, final AttachmentStore attachments)
    {
        this(network, attachments, NetworkNamespaceFile::require);
    }

    CniHandler(final PodNetwork network, final AttachmentStore attachments, final NamespaceCheck namespaceCheck)
    {
        this.network = network;
        this.attachments = attachments;
        this.namespaceCheck = namespaceCheck;
    }

    public Outcome handle(final Map<String, String> environment, final byte[] stdin)
    {
        // Until the config is parsed, errors answer in the version it seems to ask for, if podswitch speaks it.
        final String asked = PluginClient.requestedVersion(stdin);
        String version = CniVersions.isSupported(asked) ? asked : CniVersions.LATEST;
        try
        {
            final String command = environment.get("CNI_COMMAND");
            if (command == null || command.isEmpty())
            {
                throw new CniError(CniVersions.INVALID_ENVIRONMENT, "required env variables [CNI_COMMAND] missing", null);
            }
            if (command.equals("VERSION"))
            {
                return Outcome.success(CniVersions.versionResult(PluginClient.requestedVersion(stdin)));
            }
            final ObjectNode config = parse(stdin);
            version = config.path("cniVersion").asText("0.1.0");
            if (!CniVersions.isSupported(version))
            {
                final String unsupported = version;
                version = CniVersions.LATEST;
                throw new CniError(CniVersions.INCOMPATIBLE_VERSION, "incompatible CNI versions",
                    "config is \"" + unsupported + "\", plugin supports " + CniVersions.SUPPORTED);
            }
            final String name = config.path("name").asText("");
            if (!NETWORK_NAME.matcher(name).matches())
            {
                throw new CniError(CniVersions.INVALID_CONFIG, "invalid network config: name",
                    name.isEmpty() ? "the config has no \"name\"" : "name '" + name + "' must match " + NETWORK_NAME);
            }
            return switch (command)
            {
                case "ADD" -> add(environment, config, version, name);
                case "DEL" -> del(environment);
                case "CHECK" -> check(environment, config, version);
                case "GC" -> gc(config, version, name);
                case "STATUS" -> status(version);
                default -> throw new CniError(CniVersions.INVALID_ENVIRONMENT, "unknown CNI_COMMAND: " + command,
                    "podswitch serves ADD, DEL, CHECK, VERSION, GC and STATUS");
            };
        }
        catch (final CniError error)
        {
            return new Outcome(1, CniVersions.errorJson(version, error.code(), error.getMessage(), error.details()), "");
        }
        catch (final Throwable bug)
        {
            // A bug, or an Error such as a StackOverflowError: this request fails, the agent goes on.
            return new Outcome(1, CniVersions.errorJson(version, CniVersions.ATTACH_FAILED, "podswitch agent error",
                String.valueOf(bug)), "");
        }
    }

    private static ObjectNode parse(final byte[] stdin)
    {
        try
        {
            final JsonNode node = JSON.readTree(stdin);
            if (node instanceof final ObjectNode object)
            {
                return object;
            }
            throw new CniError(CniVersions.DECODING_FAILURE, "failed to decode the network config",
                node == null || node.isMissingNode() ? "stdin is empty" : "stdin is JSON but not an object");
        }
        catch (final JsonProcessingException bad)
        {
            throw new CniError(CniVersions.DECODING_FAILURE, "failed to decode the network config",
                bad.getOriginalMessage() + " at line " + bad.getLocation().getLineNr() + ", column "
                    + bad.getLocation().getColumnNr());
        }
        catch (final java.io.IOException unreadable)
        {
            throw new CniError(CniVersions.IO_FAILURE, "cannot read stdin", unreadable.getMessage());
        }
    }

    private Outcome add(final Map<String, String> environment, final ObjectNode config, final String version,
        final String name)
    {
        require(environment, "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME");
        final String containerId = containerId(environment);
        final String ifName = ifName(environment);
        final String netns = environment.get("CNI_NETNS");
        final CniArgs args = CniArgs.parse(environment.get("CNI_ARGS"));
        final CniAttachment existing = attachments.get(containerId, ifName);
        if (existing != null && !existing.pending())
        {
            throw new CniError(CniVersions.ALREADY_ATTACHED, "interface already attached",
                "container " + containerId + " already has " + ifName + " (ADD twice without DEL)");
        }
        namespaceCheck.require(netns);
        final String node = config.path("node").asText(network.nodes().getFirst());
        if (!network.nodes().contains(node))
        {
            throw new CniError(CniVersions.INVALID_CONFIG, "invalid network config: node",
                "no node '" + node + "'; the agent's nodes are " + network.nodes());
        }
        final String podNamespace = args.get(CniArgs.POD_NAMESPACE) != null ? args.get(CniArgs.POD_NAMESPACE) : "default";
        final String podName = args.get(CniArgs.POD_NAME) != null ? args.get(CniArgs.POD_NAME)
            : "cni-" + containerId.substring(0, Math.min(12, containerId.length())).toLowerCase(java.util.Locale.ROOT);
        final PodNetwork.AttachRequest request = new PodNetwork.AttachRequest(name, containerId, ifName, netns,
            podNamespace, podName, args.labels(), node, mtu(config));
        if (existing != null)
        {
            // A retried ADD of one that never finished: undo what that one left, then start over.
            CniRecovery.undo(network, attachments, existing);
        }
        // The intent first: whatever the agent leaves behind if it dies from here on, a record names it.
        final CniAttachment intent = CniAttachment.intent(request);
        keep(() -> attachments.put(intent), "the ADD's intent");
        CrashPoint.ADD_AFTER_INTENT.reach();
        final CniAttachment attachment;
        try
        {
            attachment = network.attach(request);
        }
        catch (final RuntimeException | Error failed)
        {
            // attach left nothing behind; should forgetting fail, the intent is undone later (DEL, GC, restart).
            forgetQuietly(intent);
            throw failed;
        }
        try
        {
            keep(() -> attachments.put(attachment), "the attachment");
        }
        catch (final CniError notKept)
        {
            // Unrecorded, the pod would outlive a restart unseen: take it down again and say why.
            try
            {
                network.detach(attachment);
                forgetQuietly(intent);
            }
            catch (final RuntimeException alsoFailed)
            {
                // The intent stays recorded: DEL, GC or the next start undoes what is left of the pod.
                notKept.addSuppressed(alsoFailed);
            }
            throw notKept;
        }
        CrashPoint.ADD_AFTER_RECORD.reach();
        return Outcome.success(CniResult.of(attachment, version, config.get("prevResult"), config.get("dns")));
    }

    /** Runs a change of attachments.json; a disk that cannot keep it is the spec's code 5, with the file named. */
    private static void keep(final Runnable change, final String what)
    {
        try
        {
            change.run();
        }
        catch (final java.io.UncheckedIOException notKept)
        {
            throw new CniError(CniVersions.IO_FAILURE, "cannot record " + what, notKept.getMessage());
        }
    }

    private void forgetQuietly(final CniAttachment intent)
    {
        try
        {
            attachments.remove(intent);
        }
        catch (final java.io.UncheckedIOException stays)
        {
            // The intent stays recorded and is undone by the next DEL, GC or restart: nothing it names exists.
        }
    }

    /** The config's {@code mtu} (as the bridge and ptp plugins take it): 0 when absent. */
    private static int mtu(final ObjectNode config)
    {
        final JsonNode mtu = config.get("mtu");
        if (mtu == null || mtu.isNull())
        {
            return 0;
        }
        if (!mtu.canConvertToInt() || !mtu.isIntegralNumber() || mtu.asInt() < 68 || mtu.asInt() > 65_535)
        {
            throw new CniError(CniVersions.INVALID_CONFIG, "invalid network config: mtu",
                "mtu " + mtu + " must be a whole number from 68 (IPv4's minimum) to 65535");
        }
        return mtu.asInt();
    }

    private Outcome del(final Map<String, String> environment)
    {
        require(environment, "CNI_CONTAINERID", "CNI_IFNAME");
        final String containerId = containerId(environment);
        final String ifName = ifName(environment);
        final CniAttachment attachment = attachments.get(containerId, ifName);
        if (attachment == null)
        {
            // Never attached, already deleted, or an ADD that failed half-way: free any lease it left.
            for (final String node : network.nodes())
            {
                try
                {
                    network.releaseLease(node, containerId, ifName);
                }
                catch (final RuntimeException neverLeasable)
                {
                    // E.g. an id IPAM could never have leased under (too long): there is nothing to free.
                }
            }
            return Outcome.success("");
        }
        if (attachment.pending())
        {
            CniRecovery.undo(network, attachments, attachment);
            return Outcome.success("");
        }
        network.detach(attachment);
        keep(() -> attachments.remove(attachment), "that the attachment is gone");
        CrashPoint.DEL_AFTER_RECORD.reach();
        return Outcome.success("");
    }

    private Outcome check(final Map<String, String> environment, final ObjectNode config, final String version)
    {
        require(environment, "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME");
        final JsonNode previous = config.get("prevResult");
        if (previous == null || !previous.isObject())
        {
            throw new CniError(CniVersions.INVALID_CONFIG, "CHECK needs prevResult",
                "the runtime must pass the result of the ADD it checks");
        }
        final CniAttachment attachment = attachments.get(containerId(environment), ifName(environment));
        if (attachment == null || attachment.pending())
        {
            throw new CniError(CniVersions.CHECK_FAILED, "no such attachment",
                "podswitch attached nothing as " + ifName(environment) + " of " + containerId(environment)
                    + (attachment == null ? "" : " (its ADD never finished; DEL undoes what it left)"));
        }
        final List<String> problems = new ArrayList<>(network.problems(attachment));
        final String address = attachment.ip() + "/" + attachment.prefixLength();
        boolean listed = false;
        for (final JsonNode ip : previous.path("ips"))
        {
            listed |= address.equals(ip.path("address").asText());
        }
        if (!listed)
        {
            problems.add("prevResult does not list " + address);
        }
        if (!problems.isEmpty())
        {
            throw new CniError(CniVersions.CHECK_FAILED, "check failed", String.join("; ", problems));
        }
        return Outcome.success("");
    }

    private Outcome gc(final ObjectNode config, final String version, final String name)
    {
        requireAtLeast11(version, "GC");
        CniGc.collect(network, attachments, config, name);
        return Outcome.success("");
    }

    private Outcome status(final String version)
    {
        requireAtLeast11(version, "STATUS");
        final String why = network.unavailableBecause();
        if (why != null)
        {
            throw new CniError(CniVersions.NOT_AVAILABLE, "podswitch cannot attach pods now", why);
        }
        return Outcome.success("");
    }

    private static void requireAtLeast11(final String version, final String command)
    {
        if (version.equals("1.0.0"))
        {
            throw new CniError(CniVersions.INCOMPATIBLE_VERSION, "config version does not allow " + command,
                command + " arrived in CNI 1.1.0; the config is 1.0.0");
        }
    }

    private static void require(final Map<String, String> environment, final String... names)
    {
        final List<String> missing = new ArrayList<>();
        for (final String name : names)
        {
            if (environment.get(name) == null || environment.get(name).isEmpty())
            {
                missing.add(name);
            }
        }
        if (!missing.isEmpty())
        {
            throw new CniError(CniVersions.INVALID_ENVIRONMENT, "required env variables " + missing + " missing", null);
        }
        for (final String name : names)
        {
            // A runtime cannot put NUL in an environment variable, but the socket takes any string.
            if (environment.get(name).indexOf('\0') >= 0)
            {
                throw new CniError(CniVersions.INVALID_ENVIRONMENT, "invalid env variable " + name,
                    name + " holds a NUL character");
            }
        }
    }

    private static String containerId(final Map<String, String> environment)
    {
        final String id = environment.get("CNI_CONTAINERID");
        if (!CONTAINER_ID.matcher(id).matches())
        {
            throw new CniError(CniVersions.INVALID_ENVIRONMENT, "invalid CNI_CONTAINERID",
                "'" + id + "' must match " + CONTAINER_ID);
        }
        return id;
    }

    private static String ifName(final Map<String, String> environment)
    {
        final String name = environment.get("CNI_IFNAME");
        if (!IF_NAME.matcher(name).matches() || name.equals(".") || name.equals(".."))
        {
            throw new CniError(CniVersions.INVALID_ENVIRONMENT, "invalid CNI_IFNAME",
                "'" + name + "': 1 to 15 of the characters A-Z a-z 0-9 _ . - (and not . or ..)");
        }
        return name;
    }

}
