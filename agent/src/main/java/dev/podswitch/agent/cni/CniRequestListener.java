package dev.podswitch.agent.cni;

/**
 * Told of every CNI request the agent answered, for metrics ({@code dev.podswitch.agent.metrics}
 * implements it): an interface here so the CNI front knows nothing of a metrics library. Called on
 * the request's thread after its answer was written, at CNI rates — never per packet.
 */
@FunctionalInterface
public interface CniRequestListener
{
    CniRequestListener NONE = (command, errorCode, seconds) -> { };

    /** The CNI_COMMAND of a connection refused unread because too many were in progress. */
    String UNREAD = "UNREAD";

    /**
     * @param command   the request's {@code CNI_COMMAND} as sent (null or anything when the plugin sent
     *                  nonsense), or {@link #UNREAD}.
     * @param errorCode 0 when it succeeded, else the CNI error code it was answered with.
     * @param seconds   from the connection's accept to the answer written.
     */
    void answered(String command, int errorCode, double seconds);
}
