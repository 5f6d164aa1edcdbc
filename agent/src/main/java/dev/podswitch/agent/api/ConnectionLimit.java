package dev.podswitch.agent.api;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.util.ReferenceCountUtil;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * At most N connections at once: a connection over the limit gets its first request answered 503
 * with a JSON {@code Status} and is closed (answering before the client has sent anything would
 * read as a reset to most clients), so a client that opens connections without end costs the
 * agent nothing more.
 */
final class ConnectionLimit extends ChannelInboundHandlerAdapter
{
    private final AtomicInteger open;
    private final int limit;
    private boolean counted;
    private boolean over;

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
            over = true;
        }
        else
        {
            counted = true;
        }
        super.channelActive(context);
    }

    @Override
    public void channelRead(final ChannelHandlerContext context, final Object message) throws Exception
    {
        if (!over)
        {
            super.channelRead(context, message);
            return;
        }
        try
        {
            if (message instanceof final FullHttpRequest request)
            {
                ApiHandler.send(context, request, ApiResponse.error(new ApiError(503, "ServiceUnavailable",
                    "the agent serves at most " + limit + " connections at once; try again")), false);
            }
        }
        finally
        {
            ReferenceCountUtil.release(message);
        }
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
