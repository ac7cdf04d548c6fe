using System.Reflection;
using ModelIde.ProtocolGen;
using ModelIde.Sidecar.Rpc;
using StreamJsonRpc;

namespace ModelIde.Protocol.Tests;

/// <summary>The sidecar's handlers are what the protocol's attributes say: one per request, same params and result types.</summary>
public sealed class HandlerContractTests
{
    private static readonly ProtocolModel s_model = ProtocolModel.Load();

    private static IEnumerable<(MethodInfo Method, string Name)> Handlers() =>
        RpcTargetCatalog.TargetTypes
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance))
            .Select(m => (m, m.GetCustomAttribute<JsonRpcMethodAttribute>()?.Name))
            .Where(x => x.Name is not null)
            .Select(x => (x.m, x.Name!));

    [Fact]
    public void Every_request_has_exactly_one_handler_and_every_handler_is_a_request()
    {
        var requests = s_model.Messages.Where(m => m.IsRequest && m.Direction == RpcDirection.ClientToSidecar).Select(m => m.Method).Order().ToArray();
        var clientToSidecarNotifications = s_model.Messages.Where(m => !m.IsRequest && m.Direction == RpcDirection.ClientToSidecar).Select(m => m.Method);
        var handled = Handlers().Select(h => h.Name).ToArray();
        Assert.Equal(handled.Length, handled.Distinct().Count());
        Assert.Equal(requests.Concat(clientToSidecarNotifications).Order(), handled.Order());
    }

    [Fact]
    public void Each_handler_takes_the_declared_params_and_returns_the_declared_result()
    {
        foreach (var (method, name) in Handlers())
        {
            var message = s_model.Messages.Single(m => m.Method == name);
            var parameters = method.GetParameters().Where(p => p.ParameterType != typeof(CancellationToken)).ToArray();
            if (message.ParamsType is null)
            {
                Assert.True(parameters.Length == 0, $"{name}: takes no params");
            }
            else
            {
                Assert.True(parameters.Length == 1 && parameters[0].ParameterType == message.ParamsType, $"{name}: takes {message.ParamsType.Name}");
                Assert.True(method.GetCustomAttribute<JsonRpcMethodAttribute>()!.UseSingleObjectParameterDeserialization, $"{name}: one params object");
            }

            var returned = method.ReturnType;
            if (returned.IsGenericType && (returned.GetGenericTypeDefinition() == typeof(Task<>) || returned.GetGenericTypeDefinition() == typeof(ValueTask<>)))
            {
                returned = returned.GetGenericArguments()[0];
            }

            var expected = message.ResultType ?? typeof(void);
            Assert.True(returned == expected || (expected == typeof(void) && returned == typeof(Task)), $"{name}: returns {expected.Name}, not {returned.Name}");
        }
    }

    [Fact]
    public void Method_names_are_feature_slash_verb_and_unique()
    {
        var names = s_model.Messages.Select(m => m.Method).ToArray();
        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, n => Assert.Matches("^[a-z]+/[a-z][A-Za-z]*$", n));
    }
}
