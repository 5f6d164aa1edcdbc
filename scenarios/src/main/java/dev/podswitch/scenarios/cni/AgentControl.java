package dev.podswitch.scenarios.cni;

import dev.podswitch.control.EmulatedNode;
import dev.podswitch.policy.model.NetworkPolicy;
import dev.podswitch.scenarios.load.KubeObjects;
import dev.podswitch.scenarios.load.ScenarioException;
import dev.podswitch.scenarios.load.ScenarioLoader;
import dev.podswitch.scenarios.model.Manifest;
import dev.podswitch.scenarios.model.PodSpec;
import dev.podswitch.scenarios.run.Lab;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The agent's control requests, from {@code podswitch policy} and {@code podswitch cni status}:
 * apply NetworkPolicy manifests from a file (validated as the API server would; errors name file,
 * line and field), delete one, or describe the cluster. Answered like a command: exit status 0, 1
 * (failed) or 2 (invalid input), text for the terminal.
 */
final class AgentControl implements CniAgent.ControlHandler
{
    static final String OPERATION = "op";
    static final String APPLY = "policy-apply";
    static final String DELETE = "policy-delete";
    static final String STATUS = "status";
    static final String KEY = "key";

    private final Lab lab;
    private final AttachmentStore attachments;
    private final PolicyStore policies;

    AgentControl(final Lab lab, final AttachmentStore attachments, final PolicyStore policies)
    {
        this.lab = lab;
        this.attachments = attachments;
        this.policies = policies;
    }

    /** Applies the policies a previous run kept; returns how many. */
    int restore(final java.io.PrintStream log)
    {
        int restored = 0;
        for (final Path file : policies.files())
        {
            try
            {
                for (final Manifest manifest : ScenarioLoader.loadManifests(file))
                {
                    lab.applyAndPublish(KubeObjects.networkPolicy(manifest));
                    restored++;
                }
            }
            catch (final ScenarioException | RuntimeException unreadable)
            {
                log.println("podswitch agent: cannot restore " + file + ": " + unreadable.getMessage());
            }
        }
        return restored;
    }

    @Override
    public CniHandler.Outcome handle(final Map<String, String> pairs, final byte[] body)
    {
        return switch (pairs.getOrDefault(OPERATION, ""))
        {
            case APPLY -> apply(Path.of(new String(body, StandardCharsets.UTF_8)));
            case DELETE -> delete(pairs.getOrDefault(KEY, ""));
            case STATUS -> CniHandler.Outcome.success(status());
            default -> new CniHandler.Outcome(2, "", "unknown agent request '" + pairs.get(OPERATION) + "'\n");
        };
    }

    private CniHandler.Outcome apply(final Path file)
    {
        final List<Manifest> manifests;
        try
        {
            manifests = ScenarioLoader.loadManifests(file);
        }
        catch (final ScenarioException invalid)
        {
            return new CniHandler.Outcome(2, "", invalid.getMessage() + "\n");
        }
        final StringBuilder out = new StringBuilder();
        for (final Manifest manifest : manifests)
        {
            if (!"NetworkPolicy".equals(manifest.kind()))
            {
                return new CniHandler.Outcome(2, out.toString(), file + ": " + manifest.kind() + " " + manifest.name()
                    + ": the agent applies NetworkPolicy only\n");
            }
            final NetworkPolicy policy = KubeObjects.networkPolicy(manifest);
            final boolean replaced = lab.policies().containsKey(policy.key());
            lab.applyAndPublish(policy);
            policies.save(policy, manifest);
            out.append("networkpolicy ").append(policy.key()).append(replaced ? " configured" : " created").append('\n');
        }
        return CniHandler.Outcome.success(out.toString());
    }

    private CniHandler.Outcome delete(final String key)
    {
        final String qualified = key.contains("/") ? key : "default/" + key;
        if (!lab.deleteAndPublish(qualified))
        {
            return new CniHandler.Outcome(1, "", "no networkpolicy " + qualified + "\n");
        }
        policies.delete(qualified);
        return CniHandler.Outcome.success("networkpolicy " + qualified + " deleted\n");
    }

    private String status()
    {
        final StringBuilder out = new StringBuilder("nodes:\n");
        for (final EmulatedNode node : lab.cluster().nodes().values())
        {
            out.append("  ").append(node.name()).append("  pod CIDR ").append(node.podCidr()).append('\n');
        }
        out.append("pods:\n");
        for (final PodSpec pod : lab.pods().values())
        {
            out.append("  ").append(pod.key()).append("  ").append(pod.ip()).append("  ").append(pod.node())
                .append("  ").append(pod.labels()).append('\n');
        }
        out.append("cni attachments: ").append(attachments.all().size()).append('\n');
        for (final CniAttachment attachment : attachments.all())
        {
            out.append("  ").append(attachment.containerId()).append(' ').append(attachment.ifName()).append(" -> ")
                .append(attachment.podKey()).append(' ').append(attachment.ip()).append(" in ").append(attachment.netns())
                .append('\n');
        }
        out.append("policies: ").append(lab.policies().keySet()).append('\n');
        return out.toString();
    }
}
