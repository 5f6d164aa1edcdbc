package dev.podswitch.scenarios.run;

import dev.podswitch.control.ClusterNode;
import dev.podswitch.dataplane.capture.PcapWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code run --capture DIR}: one pcap file per node, {@code <scenario>.<node>.pcap}, holding every
 * frame that node received — pods' and hosts' frames, and the tunnel's decapsulated ones — as it
 * arrived. Wireshark and tshark read them; a probe that was denied shows up on the node that
 * dropped it and nowhere after.
 */
final class NodeCaptures implements AutoCloseable
{
    private final Lab lab;
    private final List<PcapWriter> writers = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();

    NodeCaptures(final Lab lab, final Path directory, final String scenarioStem)
    {
        this.lab = lab;
        try
        {
            Files.createDirectories(directory);
            for (final ClusterNode node : lab.cluster().nodes().values())
            {
                final Path file = directory.resolve(scenarioStem + "." + node.name() + ".pcap");
                final PcapWriter writer = new PcapWriter(file);
                writers.add(writer);
                files.add(file);
                node.datapath().capture(writer);
            }
        }
        catch (final IOException failed)
        {
            close();
            throw new UncheckedIOException("cannot write captures to " + directory + ": " + failed.getMessage(), failed);
        }
    }

    List<Path> files()
    {
        return List.copyOf(files);
    }

    /** Called when the cluster is idle: nodes stop capturing, then the files are completed. */
    @Override
    public void close()
    {
        for (final ClusterNode node : lab.cluster().nodes().values())
        {
            node.datapath().capture(null);
        }
        for (final PcapWriter writer : writers)
        {
            try
            {
                writer.close();
            }
            catch (final IOException failed)
            {
                throw new UncheckedIOException(failed);
            }
        }
    }
}
