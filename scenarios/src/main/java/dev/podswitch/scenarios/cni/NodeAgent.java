package dev.podswitch.scenarios.cni;

import dev.podswitch.control.ClusterOptions;
import dev.podswitch.dataplane.agent.IdleMode;
import dev.podswitch.ipam.store.FileIpamStore;
import dev.podswitch.scenarios.live.LiveEndpoints;
import dev.podswitch.scenarios.live.LiveMode;
import dev.podswitch.scenarios.load.ScenarioLoader;
import dev.podswitch.scenarios.model.Scenario;
import dev.podswitch.scenarios.run.Lab;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.StandardOpenOption;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code podswitch agent}: a node agent as a systemd unit or a DaemonSet would run it. It brings up
 * a cluster live — the scenario given, or one node — with IPAM state in its state directory, re-attaches
 * the CNI pods a previous run left (their persistent TAPs are still in their namespaces), and
 * serves the plugin on its Unix socket until it is closed. Closing keeps the CNI pods' interfaces
 * and IP leases for the next run; the scenario's own pods are removed, as {@code up} removes them.
 */
public final class NodeAgent implements AutoCloseable
{
    /** The cluster when no scenario is given: one node, the default pod CIDR. */
    static final String DEFAULT_CLUSTER = """
        name: podswitch agent, one node
        description: the cluster a node agent serves when no scenario is given
        cluster:
          nodes: [node-1]
        namespaces:
          default: {}
        """;
    public static final String IPAM_DIRECTORY = "ipam";
    static final String LOCK_FILE = "agent.lock";

    /** @param scenario null for {@link #DEFAULT_CLUSTER}. */
    public record Options(Path stateDirectory, Path socket, Path scenario, ClusterOptions.Underlay underlay, IdleMode idle)
    {
    }

    private final Lab lab;
    private final LivePodNetwork network;
    private final AttachmentStore attachments;
    private final CniAgent server;
    /** Held while the agent runs: its lock on the state directory. */
    private final FileChannel lock;

    private NodeAgent(final Lab lab, final LivePodNetwork network, final AttachmentStore attachments,
        final CniAgent server, final FileChannel lock)
    {
        this.lab = lab;
        this.network = network;
        this.attachments = attachments;
        this.server = server;
        this.lock = lock;
    }

    public static NodeAgent start(final Options options, final PrintStream log) throws Exception
    {
        Files.createDirectories(options.stateDirectory());
        // One agent per state directory, checked before anything is touched: a second one would
        // otherwise fail to open the first one's devices and take that for pods that are gone.
        final FileChannel lockChannel = FileChannel.open(options.stateDirectory().resolve(LOCK_FILE),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held;
        try
        {
            held = lockChannel.tryLock();
        }
        catch (final java.nio.channels.OverlappingFileLockException heldInThisJvm)
        {
            held = null;
        }
        if (held == null)
        {
            lockChannel.close();
            throw new IOException("another podswitch agent is using " + options.stateDirectory());
        }
        try
        {
            if (CniAgent.answers(options.socket()))
            {
                throw new IOException("another podswitch agent is serving " + options.socket());
            }
            return start(options, log, lockChannel);
        }
        catch (final Exception | Error failed)
        {
            lockChannel.close();
            throw failed;
        }
    }

    private static NodeAgent start(final Options options, final PrintStream log, final FileChannel lockChannel)
        throws Exception
    {
        final Scenario scenario = ScenarioLoader.load(options.scenario() != null ? options.scenario()
            : defaultCluster(options.stateDirectory()));
        final Lab lab = new Lab(scenario, options.underlay(), LiveMode.threads(scenario, 0), options.idle(),
            LiveMode::liveFrames, new FileIpamStore(options.stateDirectory().resolve(IPAM_DIRECTORY)),
            LiveEndpoints::new);
        try
        {
            final LivePodNetwork network = new LivePodNetwork(lab);
            final AttachmentStore attachments = new AttachmentStore(options.stateDirectory());
            for (final CniAttachment attachment : attachments.all())
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
            final AgentControl control = new AgentControl(lab, attachments, new PolicyStore(options.stateDirectory()));
            final int restored = control.restore(log);
            if (restored > 0)
            {
                log.println("podswitch agent: " + restored + " NetworkPolic" + (restored == 1 ? "y" : "ies")
                    + " applied by a previous run in force again");
            }
            final CniHandler handler = new CniHandler(network, attachments);
            final CniAgent server = new CniAgent(options.socket(), handler, control, log).start();
            return new NodeAgent(lab, network, attachments, server, lockChannel);
        }
        catch (final Exception | Error failed)
        {
            lab.close();
            throw failed;
        }
    }

    private static Path defaultCluster(final Path stateDirectory) throws IOException
    {
        final Path file = stateDirectory.resolve("agent-cluster.yaml");
        if (!Files.exists(file))
        {
            Files.writeString(file, DEFAULT_CLUSTER);
        }
        return file;
    }

    public Lab lab()
    {
        return lab;
    }

    public AttachmentStore attachments()
    {
        return attachments;
    }

    public CniAgent server()
    {
        return server;
    }

    /** Stops serving; CNI pods keep their interfaces (persistent TAPs) and IP leases for the next run. */
    @Override
    public void close()
    {
        try
        {
            server.close();
        }
        finally
        {
            try
            {
                // As the driver: no request may be half-way through the cluster meanwhile.
                server.asDriver(network::closeKeepingInterfaces);
            }
            finally
            {
                try
                {
                    lab.close();
                }
                finally
                {
                    try
                    {
                        lock.close();
                    }
                    catch (final IOException ignored)
                    {
                        // Closing the channel releases the lock; nothing else to do.
                    }
                }
            }
        }
    }
}
