package dev.podswitch.agent.api;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * One HTTP request in, one JSON response out: checks the bearer token where the listener needs
 * one, hands the request to {@link ControlApi}, and answers anything that goes wrong — a
 * malformed request, an unexpected exception — with a JSON {@code Status}, never a stack trace.
 */
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest>
{
    private final ControlApi api;
    private final String token;

    /** @param token the bearer token every request must carry, or null (the owner-only Unix socket). */
    ApiHandler(final ControlApi api, final String token)
    {
        this.api = api;
        this.token = token;
    }

    @Override
    protected void channelRead0(final ChannelHandlerContext context, final FullHttpRequest request)
    {
        if (!request.decoderResult().isSuccess())
        {
            send(context, request, ApiResponse.error(ApiError.badRequest("malformed HTTP request: "
                + request.decoderResult().cause().getMessage())), false);
            return;
        }
        if (token != null && !BearerToken.matches(token, request.headers().get(HttpHeaderNames.AUTHORIZATION)))
        {
            send(context, request, ApiResponse.error(new ApiError(401, "Unauthorized",
                "this listener needs an Authorization: Bearer <token> header with the token from the agent's token file")),
                false);
            return;
        }
        final QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        final java.util.Map<String, java.util.List<String>> query;
        try
        {
            query = uri.parameters();
        }
        catch (final IllegalArgumentException malformed)
        {
            send(context, request, ApiResponse.error(ApiError.badRequest("the query has a malformed %-escape: "
                + malformed.getMessage())), HttpUtil.isKeepAlive(request));
            return;
        }
        ApiResponse response;
        try
        {
            response = api.handle(request.method().name(), uri.rawPath(), query, ByteBufUtil.getBytes(request.content()));
        }
        catch (final RuntimeException bug)
        {
            response = ApiResponse.error(new ApiError(500, "InternalError", "the agent failed to answer: " + bug));
        }
        send(context, request, response, HttpUtil.isKeepAlive(request));
    }

    static void send(final ChannelHandlerContext context, final FullHttpRequest request, final ApiResponse answer,
        final boolean keepAlive)
    {
        final byte[] body = JsonBodies.write(answer.body());
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(answer.status()), Unpooled.wrappedBuffer(body, new byte[] {'\n'}));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length + 1);
        if (keepAlive && request != null)
        {
            HttpUtil.setKeepAlive(response, true);
            context.writeAndFlush(response);
        }
        else
        {
            context.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext context, final Throwable cause)
    {
        // A read timeout or a reset peer: nothing to answer, just let the connection go.
        context.close();
    }
}
