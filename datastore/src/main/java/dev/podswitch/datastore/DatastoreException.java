package dev.podswitch.datastore;

import java.io.IOException;

/** etcd could not be reached in time, or refused an operation; the message names the endpoints. */
public final class DatastoreException extends IOException
{
    public DatastoreException(final String message, final Throwable cause)
    {
        super(message, cause);
    }

    public DatastoreException(final String message)
    {
        super(message);
    }
}
