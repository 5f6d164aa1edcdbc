package dev.podswitch.agent.cni;

/** A CNI failure with the spec's code: the handler turns it into the error JSON on stdout. */
public final class CniError extends RuntimeException
{
    private final int code;
    private final String details;

    public CniError(final int code, final String message, final String details)
    {
        super(message);
        this.code = code;
        this.details = details;
    }

    public int code()
    {
        return code;
    }

    public String details()
    {
        return details;
    }
}
