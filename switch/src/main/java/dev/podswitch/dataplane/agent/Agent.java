package dev.podswitch.dataplane.agent;

/**
 * A duty cycle that some thread calls over and over: one bounded slice of work per call, never
 * blocking, so the same agent runs alone on its own thread, shares a thread with others in a
 * {@link CompositeAgent}, or is called directly by a test (agrona {@code Agent}; aeron
 * {@code ThreadingMode}). A node's data plane is one: its batch of at most 32 frames is the slice.
 */
public interface Agent
{
    /**
     * Does one slice of work.
     *
     * @return how much was done (frames, commands); 0 tells the caller's {@link IdleStrategy} it may back off.
     */
    int doWork() throws Exception;

    /** What the agent is, for thread names and error reports. */
    String name();

    /**
     * A file descriptor that becomes readable when this agent has work (an epoll set of its TAPs
     * and sockets), for an idle thread to wait on instead of sleeping blind; -1 when there is none.
     */
    default int readinessFd()
    {
        return -1;
    }
}
