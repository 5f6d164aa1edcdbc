package dev.podswitch.agent.cni;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Puts right what an agent that stopped mid-way left, so that leases and recorded attachments
 * agree again: ADDs that never finished are undone (their intent says what they may have made),
 * finished attachments are attached again or, if their pod is gone, released, and leases that
 * no record holds are released. At start-up this runs before the socket is served; GC and a
 * retried ADD or DEL use its parts. Driver thread only.
 */
public final class CniRecovery
{
    private CniRecovery()
    {
    }

    /** At start-up: everything, logging what it did. A step that fails is logged and left for the next start or GC. */
    public static void recover(final PodNetwork network, final AttachmentStore attachments, final PrintStream log)
    {
        for (final CniAttachment unfinished : attachments.unfinished())
        {
            try
            {
                undo(network, attachments, unfinished);
                log.println("podswitch agent: undid the ADD of " + unfinished.ifName() + " for container "
                    + unfinished.containerId() + " that a previous run did not finish");
            }
            catch (final RuntimeException failed)
            {
                log.println("podswitch agent: could not undo the unfinished ADD of " + unfinished.key() + ": "
                    + failed.getMessage() + "; its record is kept for DEL, GC or the next start");
            }
        }
        for (final CniAttachment attachment : attachments.all())
        {
            try
            {
                reattach(network, attachments, attachment, log);
            }
            catch (final RuntimeException failed)
            {
                log.println("podswitch agent: could not settle " + attachment.podKey() + ": " + failed.getMessage());
            }
        }
        try
        {
            for (final String released : network.releaseUnattachedLeases(attachments.records()))
            {
                log.println("podswitch agent: released " + released + ": no attachment holds it");
            }
        }
        catch (final RuntimeException failed)
        {
            log.println("podswitch agent: could not release leases without an attachment: " + failed.getMessage());
        }
    }

    private static void reattach(final PodNetwork network, final AttachmentStore attachments,
        final CniAttachment attachment, final PrintStream log)
    {
        switch (network.reattach(attachment))
        {
            case YES -> log.println("podswitch agent: re-attached " + attachment.podKey() + " (" + attachment.ip()
                + ", " + attachment.ifName() + " in " + attachment.netns() + ")");
            case GONE ->
            {
                network.releaseLease(attachment.node(), attachment.containerId(), attachment.ifName());
                attachments.remove(attachment);
                log.println("podswitch agent: dropped " + attachment.podKey()
                    + ": its namespace or interface is gone; released " + attachment.ip());
            }
            case FAILED -> log.println("podswitch agent: could not re-attach " + attachment.podKey() + " ("
                + attachment.ip() + "); its lease and record are kept — a restart or the runtime's DEL settles it");
        }
    }

    /** Undoes one ADD that never finished and forgets its intent. @throws RuntimeException with the intent kept. */
    static void undo(final PodNetwork network, final AttachmentStore attachments, final CniAttachment unfinished)
    {
        network.discard(unfinished);
        attachments.remove(unfinished);
    }

    /** Undoes the unfinished ADDs of one network; returns what could not be undone. */
    static List<String> undoUnfinished(final PodNetwork network, final AttachmentStore attachments, final String name)
    {
        final List<String> failures = new ArrayList<>();
        for (final CniAttachment unfinished : attachments.unfinished())
        {
            if (unfinished.network().equals(name))
            {
                try
                {
                    undo(network, attachments, unfinished);
                }
                catch (final RuntimeException failed)
                {
                    failures.add(unfinished.key() + " (unfinished ADD): " + failed.getMessage());
                }
            }
        }
        return failures;
    }
}
