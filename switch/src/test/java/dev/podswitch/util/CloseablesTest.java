package dev.podswitch.util;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CloseablesTest
{
    @Test
    void shouldCloseOnceAndThrowNothingWhenCloseFails()
    {
        final AtomicInteger closes = new AtomicInteger();
        Closeables.closeQuietly(() ->
        {
            closes.incrementAndGet();
            throw new IOException("disk gone");
        });
        Closeables.closeQuietly(() ->
        {
            closes.incrementAndGet();
            throw new IllegalStateException("already closed");
        });
        assertEquals(2, closes.get());
    }

    @Test
    void shouldDoNothingWhenTheResourceIsNull()
    {
        final IllegalStateException failure = new IllegalStateException("bind failed");
        Closeables.closeQuietly(null);
        Closeables.closeQuietly(null, failure);
        assertEquals(0, failure.getSuppressed().length);
    }

    @Test
    void shouldKeepTheCloseFailureAsSuppressedWhenClosingAfterAFailure()
    {
        final IllegalStateException failure = new IllegalStateException("bind failed");
        final IOException closeFailed = new IOException("close failed");
        Closeables.closeQuietly(() ->
        {
            throw closeFailed;
        }, failure);
        Closeables.closeQuietly(() ->
        {
        }, failure);
        assertArrayEquals(new Throwable[] {closeFailed}, failure.getSuppressed());
    }

    @Test
    void shouldSetTheInterruptFlagAgainWhenCloseIsInterrupted()
    {
        try
        {
            Closeables.closeQuietly(() ->
            {
                throw new InterruptedException("stopping");
            });
            assertTrue(Thread.currentThread().isInterrupted());
        }
        finally
        {
            Thread.interrupted();
        }
    }
}
