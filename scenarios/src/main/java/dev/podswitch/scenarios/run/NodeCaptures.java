package dev.podswitch.scenarios.run;

import dev.podswitch.control.ClusterNode;
import dev.podswitch.dataplane.capture.CaptureQueue;
import dev.podswitch.scenarios.capture.PcapCapture;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code run --capture DIR}: one pcap file per node, {@code <scenario>.<node>.pcap}, holding every
 * frame that node received — pods' and hosts' frames, and the tunnel's decapsulated ones — as it
 * arrived. Wireshark and tshark read them; a probe that was denied shows up on the node that
 * dropped it and nowhere after. Each node mirrors into a {@link CaptureQueue} that a
 * {@link PcapCapture} writes out, as {@code podswitch capture} does: when the writer falls behind,
 * the node drops the copy (never the frame, never waiting), and the run says which file misses how many.
 */
final class NodeCaptures implements AutoCloseable
{
    private final Lab lab;
    private final PrintStream warnings;
    private final List<PcapCapture> captures = new ArrayList<>();

    /** @param warnings where to say a file misses frames. */
    NodeCaptures(final Lab lab, final Path directory, final String scenarioStem, final PrintStream warnings)
    {
        this.lab = lab;
        this.warnings = warnings;
        try
        {
            Files.createDirectories(directory);
            // One clock offset for every file, so the nodes' captures line up frame by frame.
            final long epochOffsetNs = CaptureQueue.epochOffsetNs();
            for (final ClusterNode node : lab.cluster().nodes().values())
            {
                final Path file = directory.resolve(scenarioStem + "." + node.name() + ".pcap");
                final PcapCapture capture = PcapCapture.start(file, new CaptureQueue(), epochOffsetNs);
                captures.add(capture);
                node.datapath().capture(capture.queue());
            }
        }
        catch (final IOException failed)
        {
            close();
            throw new UncheckedIOException("cannot write captures to " + directory + ": " + failed.getMessage(), failed);
        }
    }

    /** Called when the cluster is idle: nodes stop mirroring, then every file is completed. */
    @Override
    public void close()
    {
        for (final ClusterNode node : lab.cluster().nodes().values())
        {
            node.datapath().capture(null);
        }
        IOException firstFailure = null;
        for (final PcapCapture capture : captures)
        {
            try
            {
                capture.close();
            }
            catch (final IOException failed)
            {
                firstFailure = firstFailure == null ? failed : firstFailure;
            }
            final long dropped = capture.queue().dropped();
            if (dropped > 0)
            {
                warnings.println("podswitch: " + capture.file() + " misses " + dropped + " of the "
                    + (capture.queue().queued() + dropped) + " frames its node received: the pcap writer fell "
                    + "behind, and the switch drops a copy rather than wait");
            }
        }
        if (firstFailure != null)
        {
            throw new UncheckedIOException(firstFailure);
        }
    }
}
