package dev.podswitch.ipam.store;

import dev.podswitch.ipam.IpamState;
import dev.podswitch.ipam.IpamStore;
import dev.podswitch.ipam.IpamStoreException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The default {@link IpamStore}: one state directory on the local disk, shared safely by any number of threads
 * and processes. Layout of the directory:
 * <pre>
 * ipam.state      the whole state (format: {@link IpamStateCodec}); absent means empty
 * ipam.state.tmp  the next state while it is being written; ignored when loading, overwritten by the next write
 * ipam.lock       empty; an exclusive FileChannel lock on it serialises transactions across processes
 * </pre>
 * Each transaction: take the in-JVM lock of the directory (a FileLock is held per JVM, so threads must queue in
 * the JVM first), take the file lock, read and decode {@code ipam.state}, apply, and if the state changed write
 * {@code ipam.state.tmp}, fsync it, rename it over {@code ipam.state} and fsync the directory. When update returns,
 * the rename is done (a kill -9 cannot undo it) and synced (neither can a power cut). A crash at any earlier point
 * leaves the previous state, and the caller never got the IP.
 * <p>
 * Why a whole-file snapshot rather than an append-only log: the file is small (tens of bytes per pod, a few
 * hundred pods per node), so rewriting it costs about as much as the two fsyncs either design pays; in exchange
 * there is no torn-tail recovery to get right, no compaction, and a damaged file is detected by one checksum
 * instead of being confused with a torn last record. The state is re-read on every transaction because another
 * process may have changed it; that is what makes two agents on one directory safe.
 * <p>
 * No resources are held between calls, so close() only stops further use.
 */
public final class FileIpamStore implements IpamStore
{
    public static final String STATE_FILE_NAME = "ipam.state";
    public static final String TEMP_FILE_NAME = "ipam.state.tmp";
    public static final String LOCK_FILE_NAME = "ipam.lock";

    // Keyed by real path so that two stores on one directory in one JVM share a lock: a second FileChannel.lock()
    // from the same JVM would throw OverlappingFileLockException, and closing either channel may drop the
    // process's lock on the file.
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCK_BY_DIRECTORY = new ConcurrentHashMap<>();

    private final Path stateDir;
    private final Path stateFile;
    private final Path tempFile;
    private final Path lockFile;
    private final ReentrantLock jvmLock;
    private volatile boolean closed;

    /**
     * Opens (creating if needed) the state directory and loads it once, so that a corrupt file stops an agent
     * at start-up rather than at its first pod.
     */
    public FileIpamStore(final Path stateDir)
    {
        try
        {
            this.stateDir = Files.createDirectories(stateDir).toRealPath();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create IPAM state directory " + stateDir, ex);
        }
        this.stateFile = this.stateDir.resolve(STATE_FILE_NAME);
        this.tempFile = this.stateDir.resolve(TEMP_FILE_NAME);
        this.lockFile = this.stateDir.resolve(LOCK_FILE_NAME);
        this.jvmLock = LOCK_BY_DIRECTORY.computeIfAbsent(this.stateDir, dir -> new ReentrantLock());
        load();
    }

    @Override
    public <T> T update(final Transaction<T> transaction)
    {
        checkOpen();
        jvmLock.lock();
        try (FileChannel lockChannel = FileChannel.open(
                lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock ignored = lockChannel.lock())
        {
            final IpamState current = load();
            final IpamState next = current.copy();
            final T result = transaction.apply(next);
            if (!next.equals(current))
            {
                write(next);
            }
            return result;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("IPAM state update failed in " + stateDir, ex);
        }
        finally
        {
            jvmLock.unlock();
        }
    }

    /**
     * Needs no lock: a rename is atomic, so a reader sees the previous or the next complete file.
     */
    @Override
    public IpamState read()
    {
        checkOpen();
        return load();
    }

    @Override
    public String location()
    {
        return stateDir.toString();
    }

    public Path stateDir()
    {
        return stateDir;
    }

    @Override
    public void close()
    {
        closed = true;
    }

    private IpamState load()
    {
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(stateFile);
        }
        catch (final NoSuchFileException ex)
        {
            return new IpamState();
        }
        catch (final IOException ex)
        {
            throw new IpamStoreException("cannot read IPAM state file " + stateFile + ": " + ex, ex);
        }
        return IpamStateCodec.decode(bytes, stateFile);
    }

    private void write(final IpamState state) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.wrap(IpamStateCodec.encode(state));
        try (FileChannel channel = FileChannel.open(
            tempFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
        {
            while (buffer.hasRemaining())
            {
                channel.write(buffer);
            }
            channel.force(true);
        }
        Files.move(tempFile, stateFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        // Makes the rename itself durable; without it a power cut could bring back the old directory entry.
        try (FileChannel directory = FileChannel.open(stateDir, StandardOpenOption.READ))
        {
            directory.force(true);
        }
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("IPAM store on " + stateDir + " is closed");
        }
    }
}
