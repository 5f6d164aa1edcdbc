package dev.podswitch.ipam;

/**
 * The persisted IPAM state cannot be trusted (damaged, truncated, written by something else). Never answered
 * with an empty state: that would hand out IPs that running pods still use.
 */
public class IpamStoreException extends RuntimeException
{
    public IpamStoreException(final String message)
    {
        super(message);
    }

    public IpamStoreException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
