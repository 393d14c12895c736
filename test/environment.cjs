// snowflake-sdk probes the cloud it runs on (AWS instance metadata among others) as soon as it is
// imported; on a test machine that probe outlives the test file and Jest fails the run for it.
process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
// The Lambdas run Node 22; the SDK's notice that this test machine's Node 20 will lose support
// later is printed once per test file and buries the results.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
