package dev.podswitch.agent.cni;

import dev.podswitch.agent.state.AtomicFiles;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The agent's CNI attachments on disk ({@code attachments.json} in its state directory), written
 * whole after every change — to a temp file, fsynced, renamed over the old one — so a crash
 * leaves either the old or the new list, never half of one, and a save that fails (a full disk)
 * changes neither the file nor what this store holds. IP leases live in the IPAM store beside it;
 * this file says which pod interface each lease belongs to, or is about to (an ADD's intent is
 * recorded before its lease: {@link CniAttachment#pending}). Driver thread only.
 */
public final class AttachmentStore
{
    public static final String FILE_NAME = "attachments.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final Map<String, CniAttachment> byKey = new LinkedHashMap<>();

    /** Reads what a previous run left (nothing when the file does not exist). */
    public AttachmentStore(final Path stateDirectory)
    {
        this.file = stateDirectory.resolve(FILE_NAME);
        if (Files.exists(file))
        {
            try
            {
                for (final CniAttachment attachment : JSON.readValue(file.toFile(), new TypeReference<List<CniAttachment>>()
                {
                }))
                {
                    byKey.put(attachment.key(), attachment);
                }
            }
            catch (final IOException unreadable)
            {
                throw new UncheckedIOException(file + ": cannot read the CNI attachments: " + unreadable.getMessage(),
                    unreadable);
            }
        }
    }

    /** The record under this key, finished or {@linkplain CniAttachment#pending pending}; null when there is none. */
    public CniAttachment get(final String containerId, final String ifName)
    {
        return byKey.get(CniAttachment.key(containerId, ifName));
    }

    /** The finished attachments. */
    public Collection<CniAttachment> all()
    {
        return byKey.values().stream().filter(attachment -> !attachment.pending()).toList();
    }

    /** Every record, finished or not: what holds a lease. */
    public Collection<CniAttachment> records()
    {
        return List.copyOf(byKey.values());
    }

    /** The intents of ADDs that never finished (the agent stopped, or could not undo a failure). */
    public Collection<CniAttachment> unfinished()
    {
        return byKey.values().stream().filter(CniAttachment::pending).toList();
    }

    /** Records {@code attachment}, replacing any record under its key. @throws UncheckedIOException with nothing changed. */
    public void put(final CniAttachment attachment)
    {
        final CniAttachment previous = byKey.put(attachment.key(), attachment);
        try
        {
            save();
        }
        catch (final UncheckedIOException notKept)
        {
            if (previous == null)
            {
                byKey.remove(attachment.key());
            }
            else
            {
                byKey.put(attachment.key(), previous);
            }
            throw notKept;
        }
    }

    /** Forgets the record under {@code attachment}'s key. @throws UncheckedIOException with nothing changed. */
    public void remove(final CniAttachment attachment)
    {
        final Map<String, CniAttachment> before = new LinkedHashMap<>(byKey);
        if (byKey.remove(attachment.key()) != null)
        {
            try
            {
                save();
            }
            catch (final UncheckedIOException notKept)
            {
                byKey.clear();
                byKey.putAll(before);
                throw notKept;
            }
        }
    }

    private void save()
    {
        try
        {
            AtomicFiles.write(file, JSON.writeValueAsBytes(new ArrayList<>(byKey.values())), "rw-------");
        }
        catch (final IOException failed)
        {
            throw new UncheckedIOException("cannot save the CNI attachments: " + failed.getMessage(), failed);
        }
    }
}
