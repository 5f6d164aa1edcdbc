package dev.podswitch.scenarios.live.sctp;

import java.io.Closeable;
import java.util.Set;

/**
 * SCTP for live pods: serving a pod's declared SCTP ports and probing from a pod. Two ways,
 * chosen once per JVM by {@link SctpSupport#forThisMachine()} from what the kernel has:
 * <ul>
 * <li>{@link UserspaceSctp} — the kernel has no SCTP (the module is often missing). A responder
 *     over a raw socket in every pod answers the handshake's first half (INIT → INIT ACK or
 *     ABORT); probes send their INIT over a raw socket too.</li>
 * <li>{@link KernelSctp} — the kernel has SCTP, which would answer every INIT itself and fight a
 *     userspace responder; then the kernel's own SCTP sockets are used.</li>
 * </ul>
 * Either way a probe's answers mean what the emulated mode's mean. Real SCTP programs in a pod
 * ({@code ip netns exec … sctp_test}) need the second: the userspace responder is not a stack.
 */
public sealed interface LiveSctp permits UserspaceSctp, KernelSctp
{
    /**
     * Serves {@code ports} (may be empty) for a pod or host whose namespace is {@code namespace};
     * closing it stops serving.
     */
    Closeable serve(String owner, String namespace, Set<Integer> ports);

    /** Probes {@code destinationIp}:{@code port} from inside {@code namespace}. */
    SctpProbeResult probe(String namespace, int destinationIp, int port, ProbeTiming timing) throws Exception;
}
