package dev.podswitch.ipam;

/**
 * An allocation request that cannot be satisfied as asked: exhausted subnet, full cluster CIDR, a requested IP
 * that is taken or outside the node's subnet, a duplicate allocation. The message says what, why and what to
 * do; nothing was changed in the store when this is thrown.
 */
public class IpamException extends RuntimeException
{
    public IpamException(final String message)
    {
        super(message);
    }
}
