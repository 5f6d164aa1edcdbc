package dev.podswitch.datastore;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real etcd ({@link EtcdServer}) for a test class, and a {@link Datastore} of each test's own
 * under {@code /<test method name>/}, so tests of a class share the server but never each other's
 * keys. Registered as
 *
 * <pre>{@code @RegisterExtension
 * static final EtcdPerClass ETCD = new EtcdPerClass();}</pre>
 *
 * <p>The server starts before the class's {@code @BeforeAll} methods and is closed (stopped, its data
 * directory deleted) after its {@code @AfterAll} methods; missing etcd skips the class, or fails it
 * in CI, as {@link EtcdServer#start()} decides. A test's datastore is connected on its first
 * {@link #datastore()} (in the test or its {@code @BeforeEach}) and closed after the test's
 * {@code @AfterEach} methods, so those may still use it; a test that never asks opens none. Tests that
 * stop, kill, restart or compact etcd, or need clients of their own, use {@link #server()}.
 */
final class EtcdPerClass implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback
{
    private EtcdServer server;
    private String prefix;
    private Datastore datastore;

    @Override
    public void beforeAll(final ExtensionContext context) throws Exception
    {
        server = EtcdServer.start();
    }

    @Override
    public void beforeEach(final ExtensionContext context)
    {
        prefix = "/" + context.getRequiredTestMethod().getName() + "/";
    }

    @Override
    public void afterEach(final ExtensionContext context)
    {
        prefix = null;
        if (datastore != null)
        {
            final Datastore used = datastore;
            datastore = null;
            used.close();
        }
    }

    @Override
    public void afterAll(final ExtensionContext context)
    {
        if (server != null)
        {
            final EtcdServer started = server;
            server = null;
            started.close();
        }
    }

    /** The class's etcd. */
    EtcdServer server()
    {
        if (server == null)
        {
            throw new IllegalStateException("etcd runs only while the test class does");
        }
        return server;
    }

    /** The current test's client under {@code /<test method name>/}; the extension closes it. */
    Datastore datastore()
    {
        if (prefix == null)
        {
            throw new IllegalStateException("a datastore is a test's own: ask from a test or its @BeforeEach");
        }
        if (datastore == null)
        {
            datastore = server().connect(prefix);
        }
        return datastore;
    }
}
