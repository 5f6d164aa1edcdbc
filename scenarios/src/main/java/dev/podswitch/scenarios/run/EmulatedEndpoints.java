package dev.podswitch.scenarios.run;

import dev.podswitch.control.Attachment;
import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.dataplane.packet.IpProtocol;
import dev.podswitch.dataplane.port.endpoint.Probe;
import dev.podswitch.dataplane.port.endpoint.ServedPorts;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.scenarios.model.ContainerPort;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The emulated mode's endpoints: virtual endpoints on memory ports; probes in rounds run to quiescence. */
final class EmulatedEndpoints implements LabEndpoints
{
    /** Probes started before the cluster is run to quiescence; well under the ring and port budgets. */
    static final int PROBES_PER_ROUND = 512;

    private final ClusterDataplane cluster;

    EmulatedEndpoints(final ClusterDataplane cluster)
    {
        this.cluster = cluster;
    }

    @Override
    public int attachPod(final String key, final String node, final int fixedIp, final List<ContainerPort> ports)
    {
        return cluster.addPod(key, node, fixedIp, served(ports)).ip();
    }

    @Override
    public void attachHost(final String name, final String node, final int ip, final List<ContainerPort> serves)
    {
        cluster.addHost(name, node, ip, served(serves));
    }

    @Override
    public void detach(final String key)
    {
        cluster.detach(key);
    }

    /** Sends the probes in rounds: start a round, run the cluster until quiet, read the verdicts. */
    @Override
    public List<ProbeOutcome> probe(final List<ProbeOutcome> planned, final RunListener listener)
    {
        final List<ProbeOutcome> outcomes = new ArrayList<>(planned.size());
        for (int start = 0; start < planned.size(); start += PROBES_PER_ROUND)
        {
            final List<ProbeOutcome> round = planned.subList(start, Math.min(planned.size(), start + PROBES_PER_ROUND));
            final Probe[] probes = new Probe[round.size()];
            for (int i = 0; i < probes.length; i++)
            {
                final ProbeOutcome plan = round.get(i);
                final Attachment source = cluster.attachment(plan.from());
                final Attachment destination = cluster.attachment(plan.to());
                probes[i] = new Probe(plan.protocol(), plan.from(), source.ip(), plan.to(), destination.ip(), plan.port());
                if (!source.endpoint().start(probes[i]))
                {
                    probes[i] = null;
                }
            }
            cluster.runUntilIdle();
            for (int i = 0; i < probes.length; i++)
            {
                outcomes.add(outcome(round.get(i), probes[i]));
                if (probes[i] != null)
                {
                    cluster.probes().release(probes[i]);
                }
            }
            listener.probesProgress(outcomes.size(), planned.size());
        }
        return outcomes;
    }

    private static ProbeOutcome outcome(final ProbeOutcome plan, final Probe probe)
    {
        if (probe == null)
        {
            return new ProbeOutcome(plan.from(), plan.to(), plan.protocol(), plan.port(), plan.expected(), false,
                "not-sent", null, null);
        }
        return new ProbeOutcome(plan.from(), plan.to(), plan.protocol(), plan.port(), plan.expected(), probe.connected(),
            probe.answer().name().toLowerCase(Locale.ROOT), Ipv4.format(probe.sourceIp()),
            probe.arrived() ? Ipv4.format(probe.sourceIpSeenAtDestination()) : null);
    }

    static ServedPorts served(final List<ContainerPort> ports)
    {
        final int[] keys = new int[ports.size()];
        for (int i = 0; i < keys.length; i++)
        {
            final ContainerPort port = ports.get(i);
            final IpProtocol protocol = port.protocol() == null ? IpProtocol.TCP : port.protocol();
            keys[i] = ServedPorts.key(protocol, port.containerPort());
        }
        return ServedPorts.of(keys);
    }

    @Override
    public void close()
    {
        // The cluster is the lab's: it closes it.
    }
}
