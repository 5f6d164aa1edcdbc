package dev.podswitch.scenarios.capture;

import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeoutException;

/**
 * Reads the frames of an Ethernet capture — the one way podswitch reads a pcap file, as
 * {@link PcapCapture} is the one way it writes one: pcap4j's offline handle (libpcap through JNA,
 * so classic pcap in either byte order and precision, and pcapng, as tcpdump and tshark write them).
 * {@code podswitch replay} sends what it reads to a daemon.
 *
 * <p>Only link type Ethernet (DLT_EN10MB) is read: a pod's port carries Ethernet frames, and a
 * frame of another link type (Linux cooked, raw IP) has no Ethernet header to inject. Every
 * problem with the file is an {@link InvalidCapture} naming the file, for the user — never a stack
 * trace. One thread; close it when done (it holds the file open).
 */
public final class PcapFrames implements AutoCloseable
{
    /** The file cannot be read as an Ethernet capture; the message names it and says why. */
    public static final class InvalidCapture extends IOException
    {
        public InvalidCapture(final String message, final Throwable cause)
        {
            super(message, cause);
        }
    }

    /** One frame of the file: its captured bytes, and how long it was on the wire. */
    public record Record(byte[] frame, int originalLength)
    {
        /** Whether the capture kept only part of the frame (its snap length was shorter). */
        public boolean truncated()
        {
            return frame.length < originalLength;
        }
    }

    private final Path file;
    private final PcapHandle handle;
    private long read;

    private PcapFrames(final Path file, final PcapHandle handle)
    {
        this.file = file;
        this.handle = handle;
    }

    /**
     * Opens {@code file} and checks that it is an Ethernet capture.
     *
     * @throws InvalidCapture when it is missing, not a capture libpcap reads, or of another link
     *                        type; or when libpcap cannot be loaded (the message says how to install it).
     */
    public static PcapFrames open(final Path file) throws InvalidCapture
    {
        if (!Files.isRegularFile(file) || !Files.isReadable(file))
        {
            throw new InvalidCapture(file + ": no such readable file", null);
        }
        final PcapHandle handle;
        try
        {
            handle = Pcaps.openOffline(file.toString());
        }
        catch (final PcapNativeException notACapture)
        {
            throw new InvalidCapture(file + " is not a capture file libpcap can read (pcap or pcapng): "
                + notACapture.getMessage(), notACapture);
        }
        catch (final LinkageError | RuntimeException missing)
        {
            throw new InvalidCapture("cannot load libpcap to read " + file + " (install it: apt-get install libpcap0.8): "
                + missing.getMessage(), missing);
        }
        final DataLinkType linkType = handle.getDlt();
        if (linkType.value() != DataLinkType.EN10MB.value())
        {
            handle.close();
            throw new InvalidCapture(file + " has link type " + linkType.value() + " (" + linkType.name()
                + "); only Ethernet captures (DLT_EN10MB, 1) can be replayed into a pod's port", null);
        }
        return new PcapFrames(file, handle);
    }

    public Path file()
    {
        return file;
    }

    /** Frames read so far. */
    public long count()
    {
        return read;
    }

    /**
     * The next frame, or null at the end of the file.
     *
     * @throws InvalidCapture when the file is damaged there (a record cut short, a bad header).
     */
    public Record next() throws InvalidCapture
    {
        try
        {
            final byte[] frame = handle.getNextRawPacketEx();
            read++;
            final Integer original = handle.getOriginalLength();
            return new Record(frame, original == null ? frame.length : original);
        }
        catch (final EOFException end)
        {
            return null;
        }
        catch (final PcapNativeException | TimeoutException damaged)
        {
            throw new InvalidCapture(file + ": cannot read frame " + (read + 1) + ": " + damaged.getMessage(), damaged);
        }
        catch (final NotOpenException closed)
        {
            throw new IllegalStateException(file + " was closed", closed);
        }
    }

    @Override
    public void close()
    {
        handle.close();
    }
}
