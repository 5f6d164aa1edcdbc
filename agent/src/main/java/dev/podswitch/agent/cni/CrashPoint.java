package dev.podswitch.agent.cni;

/**
 * Fault injection for the crash tests: the points of ADD and DEL between two things the agent keeps
 * (a lease, a persistent TAP, a record in attachments.json). Started with
 * {@code -D}{@value #PROPERTY}{@code =ADD_AFTER_TAP}, the agent halts the JVM there, as a
 * {@code kill -9} or a power cut would stop it: no finally block, no shutdown hook, no cleanup —
 * what the next agent on the same state directory must then put right. Unset (always, outside the
 * tests), {@link #reach} compares two references and returns.
 */
enum CrashPoint
{
    /** The intent is recorded; nothing is leased or made yet. */
    ADD_AFTER_INTENT,
    /** The IP is leased; no device yet. */
    ADD_AFTER_LEASE,
    /** The persistent TAP exists in the pod's namespace, unconfigured. */
    ADD_AFTER_TAP,
    /** The finished attachment is recorded; the plugin has no answer yet. */
    ADD_AFTER_RECORD,
    /** DEL removed the TAP; the lease and the record are still there. */
    DEL_AFTER_TAP,
    /** DEL released the lease too; the record is still there. */
    DEL_AFTER_LEASE,
    /** DEL forgot the record; the plugin has no answer yet. */
    DEL_AFTER_RECORD;

    static final String PROPERTY = "podswitch.test.cni.crashAt";
    /** What the halted JVM exits with: a SIGKILL's 128 + 9, so a test can tell it from a crash of its own. */
    static final int HALT_STATUS = 137;
    private static final CrashPoint ARMED = armed(System.getProperty(PROPERTY));

    void reach()
    {
        if (this == ARMED)
        {
            System.err.println("podswitch agent: halting at " + this + " (" + PROPERTY + ")");
            System.err.flush();
            Runtime.getRuntime().halt(HALT_STATUS);
        }
    }

    private static CrashPoint armed(final String name)
    {
        for (final CrashPoint point : values())
        {
            if (point.name().equals(name))
            {
                return point;
            }
        }
        return null;
    }
}
