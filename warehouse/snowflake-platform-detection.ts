/**
 * snowflake-sdk probes AWS, Azure and GCP metadata endpoints when it is first imported, for its
 * telemetry. floe gains nothing from it, and where those endpoints do not answer (tests, laptops)
 * the probes hang and outlive the process's work. Imported before the driver, so the setting is
 * in place when the driver reads it; an explicit setting in the environment is kept.
 */
process.env['SNOWFLAKE_DISABLE_PLATFORM_DETECTION'] ??= 'true';
