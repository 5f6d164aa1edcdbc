package dev.podswitch.scenarios.run;

import dev.podswitch.scenarios.model.ContainerPort;

import java.util.List;

/**
 * How a lab's pods and hosts exist and how its probes travel — the one part that differs between
 * the emulated mode (virtual endpoints on memory ports, {@link EmulatedEndpoints}) and the live
 * mode (network namespaces behind TAP ports, kernel sockets). Everything else — the cluster, its
 * addresses, the policy compiled and published, the order of actions — is {@link Lab}'s and
 * {@link ScenarioRunner}'s, shared by both. Driver thread only.
 */
public interface LabEndpoints extends AutoCloseable
{
    /**
     * Attaches a pod to {@code node} serving {@code ports}.
     *
     * @param fixedIp the IP to use, or 0 for the next one IPAM hands out.
     * @return the pod's IP.
     */
    int attachPod(String key, String node, int fixedIp, List<ContainerPort> ports);

    /** Attaches an external host (outside the cluster CIDR) to {@code node}'s uplink. */
    void attachHost(String name, String node, int ip, List<ContainerPort> serves);

    /** Detaches a pod; its IP is free again. */
    void detach(String key);

    /**
     * Sends every planned probe (from, to, protocol, port and expectation filled in) and returns
     * the outcomes in the same order, reporting progress to {@code listener}.
     */
    List<ProbeOutcome> probe(List<ProbeOutcome> planned, RunListener listener);

    @Override
    void close();
}
