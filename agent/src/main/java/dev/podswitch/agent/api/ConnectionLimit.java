package dev.podswitch.agent.api;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * At most N connections at once: the one after that is answered 503 with a JSON {@code Status}
 * and closed, so a client that opens connections without end costs the agent nothing more.
 */
final class ConnectionLimit extends ChannelInboundHandlerAdapter
{
    private final AtomicInteger open;
    private final int limit;
    private boolean counted;

    ConnectionLimit(final AtomicInteger open, final int limit)
    {
        this.open = open;
        this.limit = limit;
    }

    @Override
    public void channelActive(final ChannelHandlerContext context) throws Exception
    {
        if (open.incrementAndGet() > limit)
        {
            open.decrementAndGet();
            ApiHandler.send(context, null, ApiResponse.error(new ApiError(503, "ServiceUnavailable",
                "the agent serves at most " + limit + " connections at once; try again")), false);
            return;
        }
        counted = true;
        super.channelActive(context);
    }

    @Override
    public void channelInactive(final ChannelHandlerContext context) throws Exception
    {
        if (counted)
        {
            counted = false;
            open.decrementAndGet();
        }
        super.channelInactive(context);
    }
}
