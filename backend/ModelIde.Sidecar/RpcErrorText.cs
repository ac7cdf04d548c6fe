using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace ModelIde.Sidecar;

/// <summary>
/// What an error about a client's message says: where the message was wrong, in the message's own words (a JSON path),
/// never the sidecar's type names, and never more than a short piece of what the client sent.
/// </summary>
internal static partial class RpcErrorText
{
    private const int MaxEcho = 80;

    /// <summary>Why a message or its params could not be read.</summary>
    public static string Describe(Exception ex)
    {
        var json = ex as JsonException ?? ex.InnerException as JsonException;
        if (json is not null)
        {
            var path = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? null : json.Path;
            if (json.LineNumber is null || HasInternals(json.Message))
            {
                // A value that does not fit its field (wrong type, or null where the field must have one).
                return path is null ? "a value is missing, null or of the wrong type" : $"the value at {path} is missing, null or of the wrong type";
            }

            return $"{FirstSentence(json.Message)} (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1})";
        }

        // Anything else the reader threw speaks of its own workings (a missing dictionary key, say), not of the message.
        return "it is not a JSON-RPC 2.0 message";
    }

    /// <summary>
    /// An error StreamJsonRpc wrote itself for a request it could not bind to a method (params of the wrong shape): its
    /// text lists the sidecar's methods and types, so it is replaced. Other errors pass unchanged.
    /// </summary>
    public static JsonRpcError WithoutInternals(JsonRpcError error, string method)
    {
        if (error.Error is not { } detail || !HasInternals(detail.Message ?? ""))
        {
            return error;
        }

        return new JsonRpcError
        {
            RequestId = error.RequestId,
            Error = new JsonRpcError.ErrorDetail
            {
                Code = detail.Code,
                Message = detail.Code == JsonRpcErrorCode.InvalidParams
                    ? $"Invalid parameters for {Shorten(method)}: they must be one object with its params' fields, or none for a method without params (docs/protocol.md)."
                    : $"{Shorten(method)} could not be handled.",
            },
        };
    }

    /// <summary>At most a short, printable piece of text the client sent, for an error message or the log.</summary>
    public static string Shorten(string text)
    {
        var sb = new StringBuilder(Math.Min(text.Length, MaxEcho + 1));
        foreach (var c in text.Length > MaxEcho ? text.AsSpan(0, MaxEcho) : text.AsSpan())
        {
            sb.Append(char.IsControl(c) ? '?' : c);
        }

        if (text.Length > MaxEcho)
        {
            sb.Append('…');
        }

        return sb.ToString();
    }

    private static bool HasInternals(string message) => Internals().IsMatch(message);

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return Shorten((end > 0 ? message[..end] : message).TrimEnd('.'));
    }

    // A .NET type name (namespace-qualified, or generic arity), or StreamJsonRpc's binding report.
    [GeneratedRegex(@"\b(?:System|StreamJsonRpc|ModelIde|Microsoft|Nerdbank)\.[A-Za-z]|`\d|\{no object\}|Unable to find method")]
    private static partial Regex Internals();
}
