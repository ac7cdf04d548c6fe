using System.Net;
using ModelIde.Core.ModelScopeApi;

namespace ModelIde.Core.Tests.ModelScopeApi;

public sealed class ApiResponseParserTests
{
    [Fact]
    public void Legacy_success_returns_Data()
    {
        var data = ApiResponseParser.Unwrap(ApiEnvelope.Legacy, HttpStatusCode.OK,
            """{"Code":200,"Data":{"Name":"x"},"Message":"success","RequestId":"r1","Success":true}""");
        Assert.Equal("x", data.GetProperty("Name").GetString());
    }

    [Fact]
    public void Legacy_business_error_with_http_200_throws_with_code_and_request_id()
    {
        var ex = Assert.Throws<ModelIdeException>(() => ApiResponseParser.Unwrap(ApiEnvelope.Legacy, HttpStatusCode.OK,
            """{"Code":10010101001,"Data":null,"Message":"model already exists","RequestId":"abc","Success":false}"""));
        Assert.Equal("10010101001", ex.ServerCode);
        Assert.Equal("abc", ex.RequestId);
        Assert.Contains("already exists", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Legacy_code_200_with_success_false_is_an_error()
    {
        Assert.Throws<ModelIdeException>(() => ApiResponseParser.Unwrap(ApiEnvelope.Legacy, HttpStatusCode.OK,
            """{"Code":200,"Data":{},"Message":"no","Success":false}"""));
    }

    [Fact]
    public void OpenApi_success_unwraps_data()
    {
        var data = ApiResponseParser.Unwrap(ApiEnvelope.OpenApi, HttpStatusCode.OK, """{"success":true,"data":{"username":"demo"},"message":"ok"}""");
        Assert.Equal("demo", data.GetProperty("username").GetString());
    }

    [Fact]
    public void OpenApi_error_body_maps_kind_and_message()
    {
        var ex = Assert.Throws<ModelIdeException>(() => ApiResponseParser.Unwrap(ApiEnvelope.OpenApi, HttpStatusCode.Unauthorized,
            """{"success":false,"code":"Unauthorized","message":"用户未登录","request_id":"q"}"""));
        Assert.Equal(ModelIdeErrorKind.AuthenticationRequired, ex.Kind);
        Assert.Contains("not logged in", ex.Message, StringComparison.Ordinal);
        Assert.Equal("q", ex.RequestId);
    }

    [Theory]
    [InlineData(403, ModelIdeErrorKind.PermissionDenied)]
    [InlineData(404, ModelIdeErrorKind.NotFound)]
    [InlineData(429, ModelIdeErrorKind.RateLimited)]
    [InlineData(500, ModelIdeErrorKind.ServerError)]
    [InlineData(503, ModelIdeErrorKind.ServerError)]
    [InlineData(400, ModelIdeErrorKind.InvalidInput)]
    public void Http_status_maps_to_kind(int status, ModelIdeErrorKind kind)
    {
        var ex = Assert.Throws<ModelIdeException>(() => ApiResponseParser.Unwrap(ApiEnvelope.OpenApi, (HttpStatusCode)status, "<html>oops</html>"));
        Assert.Equal(kind, ex.Kind);
    }

    [Fact]
    public void Rate_limit_keeps_retry_after_and_says_how_long()
    {
        var ex = Assert.Throws<ModelIdeException>(() => ApiResponseParser.Unwrap(ApiEnvelope.OpenApi, HttpStatusCode.TooManyRequests, "", TimeSpan.FromSeconds(7)));
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Contains("7 s", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_json_success_body_is_a_server_error_not_a_crash()
    {
        var ex = Assert.Throws<ModelIdeException>(() => ApiResponseParser.Unwrap(ApiEnvelope.Legacy, HttpStatusCode.OK, "<html>gateway</html>"));
        Assert.Equal(ModelIdeErrorKind.ServerError, ex.Kind);
    }

    [Fact]
    public void Retry_policy_retries_transient_errors_and_honours_retry_after()
    {
        var policy = new RetryPolicy(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10));
        var limited = new ModelIdeException(ModelIdeErrorKind.RateLimited, "slow down") { RetryAfter = TimeSpan.FromSeconds(4) };
        Assert.True(policy.ShouldRetry(limited, 1));
        Assert.Equal(TimeSpan.FromSeconds(4), policy.DelayFor(limited, 1));
        Assert.False(policy.ShouldRetry(limited, 3));
        var server = new ModelIdeException(ModelIdeErrorKind.ServerError, "boom") { ServerCode = "502" };
        Assert.Equal(TimeSpan.FromMilliseconds(200), policy.DelayFor(server, 2));
        Assert.False(policy.ShouldRetry(new ModelIdeException(ModelIdeErrorKind.AuthenticationRequired, "no"), 1));
        // A business error (long numeric code) is not transient.
        Assert.False(policy.ShouldRetry(new ModelIdeException(ModelIdeErrorKind.ServerError, "exists") { ServerCode = "10010101001" }, 1));
    }
}
