package dev.podswitch.ipam.store;

import dev.podswitch.ipam.ClusterLayout;
import dev.podswitch.ipam.IpamState;
import dev.podswitch.ipam.IpamStoreException;
import dev.podswitch.ipam.PodIpLease;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The text format of {@code ipam.state}: one record per line, fields separated by one space, in this order:
 * <pre>
 * # podswitch IPAM state. Written by FileIpamStore; do not edit while an agent runs.
 * podswitch-ipam-state 1
 * layout 10.244.0.0/16 24
 * node node-1 10.244.0.0/24
 * last-reserved node-1 10.244.0.3
 * pod node-1 10.244.0.2 3f9a1c eth0
 * checksum 1c291ca3
 * </pre>
 * The last line is the CRC32C (hex) of every byte before it. Atomic rename already guarantees that a crash leaves
 * the old or the new file, never a mix; the checksum catches what rename cannot: a truncated copy, a damaged
 * disk block, a hand edit. Text rather than binary so that a person debugging a lab can read it with cat.
 */
final class IpamStateCodec
{
    static final String HEADER = "podswitch-ipam-state 1";
    private static final String COMMENT = "# podswitch IPAM state. Written by FileIpamStore; do not edit while an " +
        "agent runs.";
    private static final String CHECKSUM_PREFIX = "checksum ";

    private IpamStateCodec()
    {
    }

    static byte[] encode(final IpamState state)
    {
        final StringBuilder text = new StringBuilder(64 + 64 * state.leaseByIp().size());
        text.append(COMMENT).append('\n').append(HEADER).append('\n');
        state.layout().ifPresent(layout -> text.append("layout ").append(layout.clusterCidr()).append(' ')
            .append(layout.nodePrefixLength()).append('\n'));
        for (final Map.Entry<String, Ipv4Cidr> entry : state.subnetByNode().entrySet())
        {
            text.append("node ").append(entry.getKey()).append(' ').append(entry.getValue()).append('\n');
        }
        for (final Map.Entry<String, Integer> entry : state.lastReservedIpByNode().entrySet())
        {
            text.append("last-reserved ").append(entry.getKey()).append(' ').append(Ipv4.format(entry.getValue()))
                .append('\n');
        }
        for (final PodIpLease lease : state.leaseByIp().values())
        {
            text.append("pod ").append(lease.node()).append(' ').append(Ipv4.format(lease.ip())).append(' ')
                .append(lease.containerId()).append(' ').append(lease.ifName()).append('\n');
        }
        final byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        final byte[] trailer = (CHECKSUM_PREFIX + checksum(body, body.length) + "\n").getBytes(StandardCharsets.UTF_8);
        final byte[] file = new byte[body.length + trailer.length];
        System.arraycopy(body, 0, file, 0, body.length);
        System.arraycopy(trailer, 0, file, body.length, trailer.length);
        return file;
    }

    static IpamState decode(final byte[] bytes, final Path file)
    {
        if (bytes.length == 0)
        {
            throw corrupt(file, 0, "the file is empty");
        }
        if (bytes[bytes.length - 1] != '\n')
        {
            throw corrupt(file, 0, "the file does not end with a newline, so it is truncated");
        }
        int checksumLineStart = bytes.length - 1;
        while (checksumLineStart > 0 && bytes[checksumLineStart - 1] != '\n')
        {
            checksumLineStart--;
        }
        final String checksumLine = new String(
            bytes, checksumLineStart, bytes.length - 1 - checksumLineStart, StandardCharsets.UTF_8);
        if (!checksumLine.startsWith(CHECKSUM_PREFIX))
        {
            throw corrupt(file, 0, "the last line is not a checksum line, so the file is truncated or was not " +
                "written by podswitch");
        }
        final String expected = checksumLine.substring(CHECKSUM_PREFIX.length());
        final String actual = checksum(bytes, checksumLineStart);
        if (!expected.equals(actual))
        {
            throw corrupt(file, 0, "checksum mismatch: the file says " + expected + " but its content hashes to " +
                actual + ", so it was damaged or edited");
        }

        final String[] lines = new String(bytes, 0, checksumLineStart, StandardCharsets.UTF_8).split("\n", -1);
        final IpamState state = new IpamState();
        boolean sawHeader = false;
        // split leaves one empty string after the final newline
        for (int i = 0; i < lines.length - 1; i++)
        {
            final String line = lines[i];
            final int lineNumber = i + 1;
            if (line.startsWith("#"))
            {
                continue;
            }
            if (!sawHeader)
            {
                if (!line.equals(HEADER))
                {
                    throw corrupt(file, lineNumber, "expected the header '" + HEADER + "' but found '" + line + "'");
                }
                sawHeader = true;
                continue;
            }
            try
            {
                apply(state, line.split(" ", -1));
            }
            catch (final IllegalArgumentException | IllegalStateException ex)
            {
                throw corrupt(file, lineNumber, ex.getMessage() + " in '" + line + "'");
            }
        }
        if (!sawHeader)
        {
            throw corrupt(file, 0, "no header line '" + HEADER + "'");
        }
        return state;
    }

    private static void apply(final IpamState state, final String[] fields)
    {
        switch (fields[0])
        {
            case "layout" ->
            {
                expectFields(fields, 3);
                state.layout(new ClusterLayout(Ipv4Cidr.parse(fields[1]), parsePrefixLength(fields[2])));
            }
            case "node" ->
            {
                expectFields(fields, 3);
                final Ipv4Cidr subnet = Ipv4Cidr.parse(fields[2]);
                final ClusterLayout layout = state.layout()
                    .orElseThrow(() -> new IllegalStateException("node lease before the layout line"));
                if (!layout.clusterCidr().contains(subnet) || subnet.prefixLength() != layout.nodePrefixLength())
                {
                    throw new IllegalStateException("node subnet " + subnet + " does not fit " + layout);
                }
                state.leaseNodeSubnet(fields[1], subnet);
            }
            case "last-reserved" ->
            {
                expectFields(fields, 3);
                state.lastReservedIp(fields[1], Ipv4.parse(fields[2]));
            }
            case "pod" ->
            {
                expectFields(fields, 5);
                state.addLease(new PodIpLease(fields[1], fields[3], fields[4], Ipv4.parse(fields[2])));
            }
            default -> throw new IllegalStateException("unknown record type '" + fields[0] + "'");
        }
    }

    private static int parsePrefixLength(final String text)
    {
        try
        {
            return Integer.parseInt(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalStateException("node prefix length '" + text + "' is not a number");
        }
    }

    private static void expectFields(final String[] fields, final int count)
    {
        if (fields.length != count)
        {
            throw new IllegalStateException("a '" + fields[0] + "' record has " + count + " fields, found " +
                fields.length);
        }
    }

    private static String checksum(final byte[] bytes, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return HexFormat.of().toHexDigits((int)crc.getValue());
    }

    private static IpamStoreException corrupt(final Path file, final int lineNumber, final String reason)
    {
        return new IpamStoreException("corrupt IPAM state file " + file + (lineNumber > 0 ? " line " + lineNumber :
            "") + ": " + reason + ". Refusing to start from an empty state, which could hand out IPs that " +
            "running pods still use. Restore the file from a backup, or, if no pod that got an IP from it is " +
            "running any more, move it away to start fresh");
    }
}
