using ScBatchProx.Data;

namespace ScBatchProx.Data;

/// <summary>
/// Writes a file so that readers only ever see the old content or the complete new one: the content
/// goes to a temporary file in the same folder (same file system, so the final rename is atomic),
/// which then replaces the target. A failed write leaves neither output nor temporary file behind.
/// </summary>
public static class AtomicFile
{
    /// <summary>Calls <paramref name="write"/> with a temporary path, then moves it onto <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> write)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw InputError.For(path, null, $"output folder '{dir}' does not exist.");
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.tmp-{Guid.NewGuid().ToString("N")[..8]}");
        try
        {
            write(temp);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
