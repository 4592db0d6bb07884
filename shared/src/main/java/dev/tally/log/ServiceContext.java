package dev.tally.log;

import dev.tally.config.Env;
import java.util.Map;

/**
 * What a function's log lines say about where they come from: the project that traces belong to,
 * and the service and version Error Reporting groups errors by. Cloud Run (so Cloud Functions) sets
 * {@code K_SERVICE} and {@code K_REVISION}; the deployment sets {@code GOOGLE_CLOUD_PROJECT}.
 *
 * @param projectId the Google Cloud project ({@value #PROJECT}), or {@code null} when unknown: then
 *     lines carry no trace field
 * @param service the service's name ({@value #SERVICE}), by default the function's
 * @param version the deployed version ({@value #VERSION}), or {@code null}
 */
public record ServiceContext(String projectId, String service, String version) {
  public static final String PROJECT = "GOOGLE_CLOUD_PROJECT";
  public static final String SERVICE = "K_SERVICE";
  public static final String VERSION = "K_REVISION";

  /**
   * Reads the context of a function whose name, unless Cloud Run says otherwise, is {@code name}.
   */
  public static ServiceContext fromEnv(Map<String, String> environment, String name) {
    Env env = Env.of(environment);
    return new ServiceContext(
        env.string(PROJECT, null), env.string(SERVICE, name), env.string(VERSION, null));
  }
}
