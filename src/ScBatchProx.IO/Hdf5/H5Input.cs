using System.IO.MemoryMappedFiles;
using PureHDF;
using PureHDF.VOL.Native;
using ScBatchProx.Data;

namespace ScBatchProx.IO;

/// <summary>
/// An HDF5 file opened read-only through a memory map (PureHDF reads lazily, so only the parts a
/// caller touches are paged in). PureHDF reports corrupt or truncated files with assorted exception
/// types at any later read, so every read goes through <see cref="Guard{T}"/>, which turns them into
/// an <see cref="InputError"/> naming the file.
/// </summary>
internal sealed class H5Input : IDisposable
{
    readonly MemoryMappedFile _map;
    readonly MemoryMappedViewAccessor _view;

    public string Path { get; }
    public NativeFile Root { get; }

    H5Input(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, NativeFile root)
    {
        Path = path; _map = map; _view = view; Root = root;
    }

    public static H5Input Open(string path)
    {
        if (!File.Exists(path)) throw InputError.For(path, null, "file not found.");
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var problem = stream.Length == 0 ? "the file is empty" : H5Superblock.Problem(stream);
            if (problem is not null) { stream.Dispose(); throw Unreadable(path, null, problem); }
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            var root = (NativeFile)H5File.Open(view);
            return new H5Input(path, map, view, root);
        }
        catch (Exception e) when (IsReadFailure(e))
        {
            view?.Dispose(); map?.Dispose();
            throw Unreadable(path, null, e.Message, e);
        }
        catch
        {
            view?.Dispose(); map?.Dispose();
            throw;
        }
    }

    /// <summary>Runs a read, turning PureHDF failures into an <see cref="InputError"/> about <paramref name="key"/>.</summary>
    public T Guard<T>(string? key, Func<T> read)
    {
        try { return read(); }
        catch (NotSupportedException e) { throw new InputError(InputError.For(Path, key, "holds data this reader does not support: " + e.Message).Message, e); }
        catch (Exception e) when (IsReadFailure(e)) { throw Unreadable(Path, key, e.Message, e); }
    }

    static bool IsReadFailure(Exception e) => e is not (InputError or OutOfMemoryException or NotSupportedException);

    static InputError Unreadable(string path, string? key, string detail, Exception? inner = null) =>
        new(InputError.For(path, key, $"is not a readable HDF5/.h5ad file (truncated or corrupt?): {detail}").Message, inner);

    public void Dispose()
    {
        Root.Dispose();
        _view.Dispose();
        _map.Dispose();
    }
}
