package dev.podswitch.dataplane.port;

import dev.podswitch.dataplane.ring.FrameRing;

/**
 * A port whose frames must be fetched — a TAP device, a socket — rather than pushed into the ring
 * by someone else. The node's agent polls every source once per cycle before draining its ring,
 * so receive and pipeline share the node's thread and its idle strategy.
 */
public interface ReceiveSource
{
    /**
     * Reads at most {@code limit} frames straight into ring slots (claim, read, publish).
     *
     * @return how many frames were read (0 when nothing was waiting).
     */
    int poll(FrameRing ring, int limit);

    /**
     * True once, when the source found its device gone for good (a TAP whose namespace was deleted
     * answers every read with EBADFD and is always "ready"): the node then stops waiting on it.
     */
    default boolean takeDetached()
    {
        return false;
    }

    /** An fd that is readable when this source has frames (for an idle node thread to wait on); -1: none. */
    default int readinessFd()
    {
        return -1;
    }
}
