package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * CNI 1.1.0's GC for one network: every attachment of that network the runtime no longer lists in
 * {@code cni.dev/valid-attachments} (or the key the spec first used, {@code cni.dev/attachments})
 * is detached — and then what runs that stopped mid-way left, which no runtime lists since no ADD
 * of it ever answered: ADDs of this network that never finished (their TAPs among it) and IP
 * leases that no record holds. Driver thread only (the handler calls it).
 */
final class CniGc
{
    private static final String VALID_ATTACHMENTS = "cni.dev/valid-attachments";
    private static final String VALID_ATTACHMENTS_OLD = "cni.dev/attachments";

    private CniGc()
    {
    }

    /** @throws CniError code 7 for a list that is not one, 101 naming what could not be removed (the rest is). */
    static void collect(final PodNetwork network, final AttachmentStore attachments, final ObjectNode config,
        final String name)
    {
        final Set<String> keep = validKeys(config);
        final List<String> failures = new ArrayList<>();
        for (final CniAttachment attachment : attachments.all())
        {
            if (attachment.network().equals(name) && !keep.contains(attachment.key()))
            {
                try
                {
                    network.detach(attachment);
                    attachments.remove(attachment);
                }
                catch (final RuntimeException failed)
                {
                    failures.add(attachment.key() + ": " + failed.getMessage());
                }
            }
        }
        failures.addAll(CniRecovery.undoUnfinished(network, attachments, name));
        try
        {
            network.releaseUnattachedLeases(attachments.records());
        }
        catch (final RuntimeException failed)
        {
            failures.add("leases without an attachment: " + failed.getMessage());
        }
        if (!failures.isEmpty())
        {
            throw new CniError(CniVersions.ATTACH_FAILED, "GC could not remove everything", String.join("; ", failures));
        }
    }

    private static Set<String> validKeys(final ObjectNode config)
    {
        JsonNode valid = config.has(VALID_ATTACHMENTS) ? config.get(VALID_ATTACHMENTS) : config.get(VALID_ATTACHMENTS_OLD);
        if (valid != null && valid.isNull())
        {
            // libcni sends null for a runtime's empty (nil) list: nothing is valid.
            valid = null;
        }
        if (valid != null && !valid.isArray())
        {
            throw new CniError(CniVersions.INVALID_CONFIG, "invalid GC input", VALID_ATTACHMENTS + " must be a list");
        }
        final Set<String> keep = new HashSet<>();
        if (valid != null)
        {
            for (final JsonNode entry : valid)
            {
                keep.add(CniAttachment.key(entry.path("containerID").asText(), entry.path("ifname").asText()));
            }
        }
        return keep;
    }
}
