package dev.podswitch.cli.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.cli.api.ApiClient;
import dev.podswitch.datastore.Datastore;
import dev.podswitch.datastore.DatastoreKeys;
import dev.podswitch.datastore.EtcdEndpoints;
import dev.podswitch.datastore.Records;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Policy propagation across a multi-host cluster, for {@code bench/multihost.sh}; a plain main, not
 * a podswitch command. Writes NetworkPolicy changes straight to etcd (as {@code DatastoreWriter}
 * encodes them: the manifest's JSON under {@code PREFIX networkpolicies/NAMESPACE/NAME}), one at a
 * time, and times each from the moment its put returned (revision R) until every agent's
 * {@code GET /status} reports {@code datastore.appliedRevision >= R}: one poller thread per agent
 * on its API socket, ~1 ms apart. Each agent's {@code refusedChanges} and {@code skippedKeys} are
 * compared before and after, so a change the agents refused is not counted as propagated.
 *
 * <pre>
 * PropagationProbe --etcd URL --api SOCK[,SOCK...] [--prefix /podswitch/] [--namespace default]
 *                  [--timeout-ms 30000] [--poll-us 1000] COMMAND
 *   changes N [--warmup W] [--tsv FILE]   N changes of policy psmb-probe (W more first, not counted), then deletes it
 *   put FILE                              puts the NetworkPolicy manifest in FILE (JSON) and waits for every agent
 *   delete NAME                           deletes NetworkPolicy NAME and waits for every agent
 *   wait                                  waits until every agent applied etcd's current revision
 * </pre>
 * Progress and per-change lines go to stderr; the last stdout line is {@code key=value} pairs for
 * the script. Exit 0, or 1 when an agent did not get there within the timeout or refused a change.
 *
 * <p>Why this file is over 400 lines: it is one benchmark's procedure as the script drives it —
 * its arguments, the change loop that times every change on every agent, the waiting and the
 * lines it prints — read top to bottom in the order it runs; what an agent's status says is in
 * {@link AgentView}.
 */
public final class PropagationProbe
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROBE_POLICY = "psmb-probe";

    private final Datastore datastore;
    private final DatastoreKeys keys;
    private final List<Path> sockets;
    private final String namespace;
    private final long timeoutNanos;
    private final long pollMicros;
    private final ExecutorService pollers;
    private final PrintStream log = System.err;
    /** When this process's own watch of the prefix saw each revision (nanoTime): etcd's part of the delay. */
    private final Map<Long, Long> watched = new ConcurrentHashMap<>();

    private PropagationProbe(final Datastore datastore, final DatastoreKeys keys, final List<Path> sockets,
        final String namespace, final long timeoutMillis, final long pollMicros)
    {
        this.datastore = datastore;
        this.keys = keys;
        this.sockets = sockets;
        this.namespace = namespace;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        this.pollMicros = pollMicros;
        this.pollers = Executors.newFixedThreadPool(sockets.size(), runnable ->
        {
            final Thread thread = new Thread(runnable, "psmb-poller");
            thread.setDaemon(true);
            return thread;
        });
    }

    public static void main(final String[] args)
    {
        try
        {
            System.exit(run(args));
        }
        catch (final IllegalArgumentException usage)
        {
            System.err.println("PropagationProbe: " + usage.getMessage());
            System.exit(2);
        }
        catch (final Exception failed)
        {
            System.err.println("PropagationProbe: " + failed);
            System.exit(1);
        }
    }

    private static int run(final String[] args) throws Exception
    {
        String etcd = null;
        String prefix = DatastoreKeys.DEFAULT_PREFIX;
        String namespace = "default";
        String api = null;
        long timeoutMillis = 30_000;
        long pollMicros = 1_000;
        int warmup = 5;
        String tsv = null;
        final List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--etcd" -> etcd = value(args, ++i);
                case "--prefix" -> prefix = value(args, ++i);
                case "--namespace" -> namespace = value(args, ++i);
                case "--api" -> api = value(args, ++i);
                case "--timeout-ms" -> timeoutMillis = Long.parseLong(value(args, ++i));
                case "--poll-us" -> pollMicros = Long.parseLong(value(args, ++i));
                case "--warmup" -> warmup = Integer.parseInt(value(args, ++i));
                case "--tsv" -> tsv = value(args, ++i);
                default ->
                {
                    if (args[i].startsWith("--"))
                    {
                        throw new IllegalArgumentException("unknown option " + args[i]);
                    }
                    positional.add(args[i]);
                }
            }
        }
        if (etcd == null || api == null || positional.isEmpty())
        {
            throw new IllegalArgumentException("usage: PropagationProbe --etcd URL --api SOCK[,SOCK...] "
                + "changes N [--warmup W] [--tsv FILE] | put FILE | delete NAME | wait");
        }
        final List<Path> sockets = Arrays.stream(api.split(",")).filter(s -> !s.isBlank()).map(Path::of).toList();
        final DatastoreKeys keys = new DatastoreKeys(prefix);
        try (Datastore datastore = Datastore.connect(EtcdEndpoints.parse(etcd), keys))
        {
            final PropagationProbe probe = new PropagationProbe(datastore, keys, sockets, namespace, timeoutMillis, pollMicros);
            try
            {
                return switch (positional.getFirst())
                {
                    case "changes" -> probe.changes(Integer.parseInt(arg(positional, 1)), warmup, tsv);
                    case "put" -> probe.put(Path.of(arg(positional, 1)));
                    case "delete" -> probe.delete(arg(positional, 1));
                    case "wait" -> probe.waitCurrent();
                    default -> throw new IllegalArgumentException("unknown command " + positional.getFirst());
                };
            }
            finally
            {
                probe.pollers.shutdownNow();
            }
        }
    }

    private static String value(final String[] args, final int index)
    {
        if (index >= args.length)
        {
            throw new IllegalArgumentException(args[index - 1] + " needs a value");
        }
        return args[index];
    }

    private static String arg(final List<String> positional, final int index)
    {
        if (index >= positional.size())
        {
            throw new IllegalArgumentException(positional.getFirst() + " needs an argument");
        }
        return positional.get(index);
    }

    /** What an agent's status says of the datastore that matters here. */
    /**
     * One change: the put's own time; from its return until this process's watch saw it (negative: the
     * event came before the put's answer; NaN: not seen); until each agent, and all of them, applied it.
     */
    private record Timing(long revision, double putMillis, double watchMillis, double[] agentMillis, double allMillis)
    {
    }

    private int changes(final int count, final int warmup, final String tsv) throws Exception
    {
        final List<AgentView> before = views();
        final AutoCloseable watch = datastore.watch(datastore.list().revision() + 1, new Datastore.WatchListener()
        {
            @Override
            public void onEvents(final List<Datastore.Event> events, final long revision)
            {
                if (!events.isEmpty())
                {
                    watched.putIfAbsent(revision, System.nanoTime());
                }
            }

            @Override
            public void onError(final Throwable cause)
            {
                log.println("probe: own watch ended: " + cause);
            }
        });
        log.printf(Locale.ROOT, "probe: %d agent(s), applied revisions %s; %d warm-up change(s), then %d measured%n",
            sockets.size(), before.stream().map(v -> Long.toString(v.appliedRevision())).toList(), warmup, count);
        final List<Timing> timings = new ArrayList<>();
        final StringBuilder rows = new StringBuilder("change\trevision\tput_ms\twatch_ms\tall_ms");
        for (int a = 0; a < sockets.size(); a++)
        {
            rows.append("\tagent").append(a + 1).append("_ms");
        }
        rows.append('\n');
        for (int i = -warmup; i < count; i++)
        {
            final Timing timing = putAndWait(keys.policy(namespace, PROBE_POLICY), Records.encode(probeManifest(i + warmup)));
            if (timing == null)
            {
                return 1;
            }
            if (i >= 0)
            {
                timings.add(timing);
                rows.append(i + 1).append('\t').append(timing.revision()).append('\t').append(ms(timing.putMillis()))
                    .append('\t').append(ms(timing.watchMillis())).append('\t').append(ms(timing.allMillis()));
                for (final double agent : timing.agentMillis())
                {
                    rows.append('\t').append(ms(agent));
                }
                rows.append('\n');
            }
            if (i < 0 || (i + 1) % 10 == 0 || i + 1 == count)
            {
                log.printf(Locale.ROOT, "probe: %s %d: revision %d, every agent after %.2f ms (slowest agent %d)%n",
                    i < 0 ? "warm-up" : "change", i < 0 ? i + warmup + 1 : i + 1, timing.revision(), timing.allMillis(),
                    slowest(timing.agentMillis()) + 1);
            }
        }
        final Timing removed = deleteAndWait(keys.policy(namespace, PROBE_POLICY));
        watch.close();
        if (removed == null)
        {
            return 1;
        }
        log.printf(Locale.ROOT, "probe: policy %s/%s deleted again, every agent after %.2f ms%n", namespace, PROBE_POLICY,
            removed.allMillis());
        if (tsv != null)
        {
            Files.writeString(Path.of(tsv), rows.toString(), StandardCharsets.UTF_8);
        }
        final boolean clean = unchangedRefusals(before, views());
        final double[] all = timings.stream().mapToDouble(Timing::allMillis).sorted().toArray();
        final double[] puts = timings.stream().mapToDouble(Timing::putMillis).sorted().toArray();
        final double[] watches = timings.stream().mapToDouble(Timing::watchMillis).filter(m -> !Double.isNaN(m)).sorted()
            .toArray();
        final StringBuilder perAgent = new StringBuilder();
        for (int a = 0; a < sockets.size(); a++)
        {
            final int agent = a;
            final double[] own = timings.stream().mapToDouble(t -> t.agentMillis()[agent]).sorted().toArray();
            perAgent.append(a == 0 ? "" : ",").append(ms(rank(own, 50)));
        }
        System.out.printf(Locale.ROOT, "agents=%d changes=%d p50_ms=%s p90_ms=%s p99_ms=%s max_ms=%s min_ms=%s mean_ms=%s "
                + "put_p50_ms=%s put_p99_ms=%s watch_p50_ms=%s watch_p99_ms=%s agent_p50_ms=%s refusals=%s%n", sockets.size(),
            all.length, ms(rank(all, 50)), ms(rank(all, 90)), ms(rank(all, 99)), ms(all[all.length - 1]), ms(all[0]),
            ms(Arrays.stream(all).average().orElse(0)), ms(rank(puts, 50)), ms(rank(puts, 99)),
            watches.length == 0 ? "nan" : ms(rank(watches, 50)), watches.length == 0 ? "nan" : ms(rank(watches, 99)), perAgent,
            clean ? "none" : "yes");
        return clean ? 0 : 1;
    }

    private int put(final Path file) throws Exception
    {
        final Map<String, Object> manifest = JSON.readValue(Files.readAllBytes(file), new TypeReference<>()
        {
        });
        if (!(manifest.get("metadata") instanceof final Map<?, ?> metadata) || !(metadata.get("name") instanceof final String name))
        {
            throw new IllegalArgumentException(file + ": not a NetworkPolicy manifest with metadata.name");
        }
        final String policyNamespace = metadata.get("namespace") instanceof final String given && !given.isEmpty() ? given : namespace;
        final List<AgentView> before = views();
        final Timing timing = putAndWait(keys.policy(policyNamespace, name), Records.encode(manifest));
        return report("put " + policyNamespace + "/" + name, timing, before);
    }

    private int delete(final String name) throws Exception
    {
        final List<AgentView> before = views();
        return report("delete " + namespace + "/" + name, deleteAndWait(keys.policy(namespace, name)), before);
    }

    private int waitCurrent() throws Exception
    {
        final long started = System.nanoTime();
        final long revision = datastore.list().revision();
        final Timing timing = await(revision, started, 0);
        return report("revision " + revision, timing, views());
    }

    private int report(final String what, final Timing timing, final List<AgentView> before) throws IOException
    {
        if (timing == null)
        {
            return 1;
        }
        final boolean clean = unchangedRefusals(before, views());
        log.printf(Locale.ROOT, "probe: %s: revision %d, every agent after %.2f ms%n", what, timing.revision(), timing.allMillis());
        System.out.printf(Locale.ROOT, "revision=%d all_ms=%s refusals=%s%n", timing.revision(), ms(timing.allMillis()),
            clean ? "none" : "yes");
        return clean ? 0 : 1;
    }

    /** A change that makes every agent recompile: all pods of the namespace isolated, ingress on one TCP port. */
    private Map<String, Object> probeManifest(final int index)
    {
        final Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", PROBE_POLICY);
        metadata.put("namespace", namespace);
        metadata.put("labels", Map.of("psmb-change", Integer.toString(index)));
        final Map<String, Object> port = new LinkedHashMap<>();
        port.put("protocol", "TCP");
        port.put("port", 10_000 + index);
        final Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("from", List.of(Map.of("podSelector", Map.of())));
        rule.put("ports", List.of(port));
        final Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("podSelector", Map.of());
        spec.put("policyTypes", List.of("Ingress"));
        spec.put("ingress", List.of(rule));
        final Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("apiVersion", "networking.k8s.io/v1");
        manifest.put("kind", "NetworkPolicy");
        manifest.put("metadata", metadata);
        manifest.put("spec", spec);
        return manifest;
    }

    private Timing putAndWait(final String key, final byte[] value) throws Exception
    {
        final long started = System.nanoTime();
        final long revision = datastore.put(key, value, 0);
        return await(revision, started, System.nanoTime());
    }

    private Timing deleteAndWait(final String key) throws Exception
    {
        final long started = System.nanoTime();
        final long revision = datastore.delete(key);
        return await(revision, started, System.nanoTime());
    }

    /** Polls every agent until each has applied {@code revision}; null (said why) when one did not in time. */
    private Timing await(final long revision, final long putStarted, final long putReturned) throws Exception
    {
        final long from = putReturned == 0 ? System.nanoTime() : putReturned;
        final List<Future<Long>> reached = new ArrayList<>(sockets.size());
        for (final Path socket : sockets)
        {
            reached.add(pollers.submit(() -> pollUntil(socket, revision, from)));
        }
        final double[] agentMillis = new double[sockets.size()];
        double all = 0;
        boolean late = false;
        for (int a = 0; a < sockets.size(); a++)
        {
            final long at;
            try
            {
                at = reached.get(a).get();
            }
            catch (final ExecutionException failed)
            {
                log.println("probe: agent " + (a + 1) + " (" + sockets.get(a) + "): " + failed.getCause());
                late = true;
                continue;
            }
            if (at < 0)
            {
                log.printf(Locale.ROOT, "probe: agent %d (%s) had not applied revision %d after %d ms%n", a + 1,
                    sockets.get(a), revision, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
                late = true;
                continue;
            }
            agentMillis[a] = Math.max(0, at - from) / 1e6;
            all = Math.max(all, agentMillis[a]);
        }
        final Long seen = watched.get(revision);
        return late ? null : new Timing(revision, (from - putStarted) / 1e6, seen == null ? Double.NaN : (seen - from) / 1e6,
            agentMillis, all);
    }

    /** The nanoTime at which {@code socket}'s agent first reported {@code revision} applied, or -1 past the timeout. */
    private long pollUntil(final Path socket, final long revision, final long from) throws IOException, InterruptedException
    {
        final ApiClient client = ApiClient.overSocket(socket);
        while (true)
        {
            final long applied = AgentView.of(client).appliedRevision();
            final long now = System.nanoTime();
            if (applied >= revision)
            {
                return now;
            }
            if (now - from > timeoutNanos)
            {
                return -1;
            }
            TimeUnit.MICROSECONDS.sleep(pollMicros);
        }
    }

    private List<AgentView> views() throws IOException
    {
        final List<AgentView> views = new ArrayList<>();
        for (final Path socket : sockets)
        {
            views.add(AgentView.of(ApiClient.overSocket(socket)));
        }
        return views;
    }

    private boolean unchangedRefusals(final List<AgentView> before, final List<AgentView> after)
    {
        boolean clean = true;
        for (int a = 0; a < before.size(); a++)
        {
            if (after.get(a).refused() != before.get(a).refused() || after.get(a).skipped() != before.get(a).skipped())
            {
                log.printf(Locale.ROOT, "probe: agent %d (%s) refused or skipped changes: refusedChanges %d -> %d, "
                        + "skippedKeys %d -> %d (see its log)%n", a + 1, sockets.get(a), before.get(a).refused(),
                    after.get(a).refused(), before.get(a).skipped(), after.get(a).skipped());
                clean = false;
            }
        }
        return clean;
    }

    /** Nearest rank: the smallest value with at least {@code percent} % of the values at or below it. */
    private static double rank(final double[] sorted, final int percent)
    {
        final int index = (int)Math.ceil(percent / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static int slowest(final double[] millis)
    {
        int slowest = 0;
        for (int a = 1; a < millis.length; a++)
        {
            if (millis[a] > millis[slowest])
            {
                slowest = a;
            }
        }
        return slowest;
    }

    private static String ms(final double millis)
    {
        return String.format(Locale.ROOT, "%.3f", millis);
    }
}
