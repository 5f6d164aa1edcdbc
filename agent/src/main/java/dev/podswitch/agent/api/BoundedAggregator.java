package dev.podswitch.agent.api;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;

/**
 * Aggregates a request up to {@code maxBodyBytes}; a larger one is answered 413 with a JSON
 * {@code Status} naming the limit (Netty's own answer is an empty body) and the connection closed.
 */
final class BoundedAggregator extends HttpObjectAggregator
{
    private final int maxBodyBytes;

    BoundedAggregator(final int maxBodyBytes)
    {
        super(maxBodyBytes);
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    protected void handleOversizedMessage(final ChannelHandlerContext context, final HttpMessage oversized)
    {
        ApiHandler.send(context, null, ApiResponse.error(new ApiError(413, "RequestEntityTooLarge",
            "the request body is larger than the agent takes (" + maxBodyBytes + " bytes)")), false);
    }
}
