package dev.podswitch.scenarios.cni;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Map;

/** The CLI's side of the agent socket: one control request (policy apply/delete, status), its answer. */
public final class AgentClient
{
    private AgentClient()
    {
    }

    /** @throws IOException when no agent answers at {@code socket}. */
    public static CniWire.Response request(final Path socket, final Map<String, String> pairs, final byte[] body)
        throws IOException
    {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            channel.connect(UnixDomainSocketAddress.of(socket));
            CniWire.writeRequest(new DataOutputStream(Channels.newOutputStream(channel)), CniWire.KIND_CONTROL, pairs, body);
            return CniWire.readResponse(new DataInputStream(Channels.newInputStream(channel)));
        }
    }

    public static Map<String, String> applyRequest()
    {
        return Map.of(AgentControl.OPERATION, AgentControl.APPLY);
    }

    public static Map<String, String> deleteRequest(final String key)
    {
        return Map.of(AgentControl.OPERATION, AgentControl.DELETE, AgentControl.KEY, key);
    }

    public static Map<String, String> statusRequest()
    {
        return Map.of(AgentControl.OPERATION, AgentControl.STATUS);
    }
}
