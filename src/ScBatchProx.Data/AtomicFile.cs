using ScBatchProx.Data;

namespace ScBatchProx.Data;

/// <summary>
/// Writes a file so that readers only ever see the old content or the complete new one: the content
/// goes to a temporary file in the same folder (same file system, so the final rename is atomic),
/// which then replaces the target. A failed write leaves neither output nor temporary file behind.
/// </summary>
public static class AtomicFile
{
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> Pending = new(StringComparer.Ordinal);

    /// <summary>
    /// Calls <paramref name="write"/> with a temporary path, then moves it onto <paramref name="path"/>.
    /// A replaced file keeps its permissions.
    /// </summary>
    public static void Write(string path, Action<string> write)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = RequireFolder(path, full);
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.tmp-{Guid.NewGuid().ToString("N")[..8]}");
        Pending[temp] = 0;
        try
        {
            write(temp);
            if (!OperatingSystem.IsWindows() && File.Exists(full)) File.SetUnixFileMode(temp, File.GetUnixFileMode(full));
            File.Move(temp, full, overwrite: true);
        }
        catch (UnauthorizedAccessException e)
        {
            Delete(temp);
            throw InputError.For(path, null, $"cannot write here: {e.Message}");
        }
        catch
        {
            Delete(temp);
            throw;
        }
        finally { Pending.TryRemove(temp, out _); }
    }

    /// <summary>Checks before any work that <paramref name="path"/> can be written: its folder exists and accepts a new file.</summary>
    public static void CheckWritable(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = RequireFolder(path, full);
        if (Directory.Exists(full)) throw InputError.For(path, null, "is a folder; expected a file name.");
        var probe = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.probe-{Guid.NewGuid().ToString("N")[..8]}");
        try { using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { } }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw InputError.For(path, null, $"output folder '{dir}' is not writable ({e.Message}).");
        }
    }

    /// <summary>Removes the temporary files of writes still under way (called when the process is interrupted).</summary>
    public static void DeletePending()
    {
        foreach (var temp in Pending.Keys) Delete(temp);
    }

    static string RequireFolder(string path, string full)
    {
        var dir = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw InputError.For(path, null, $"output folder '{dir}' does not exist.");
        return dir;
    }

    static void Delete(string temp)
    {
        try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
