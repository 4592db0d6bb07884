package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every IAM grant is waited for by what uses it: an IAM grant takes a minute or two to reach every
 * Google service, and what uses it at once fails with 403 (Pub/Sub checks at creation that its
 * agent may write a BigQuery subscription's table; a build fails to fetch its source; the
 * scheduler's first call is refused). So each resource that uses a grant must depend on a {@code
 * time_sleep} whose {@code triggers} name the grant: it then waits after the grant is made, and
 * again whenever the grant is made again.
 *
 * <p>What uses a grant is derived from the configuration, by the principal the grant is made to:
 *
 * <ul>
 *   <li>a {@code google_service_account}: every resource that names the account (a function runs or
 *       builds as it, a Cloud Run service runs as it, a scheduler job signs its calls as it), and
 *       in a root configuration every output that names it (a deployer hands it to a script right
 *       after the apply);
 *   <li>a {@code google_project_service_identity} (a Google service's agent): the resources that
 *       service acts on with the agent's rights, declared per service in {@link #AGENT_USERS};
 *   <li>{@code allUsers} / {@code allAuthenticatedUsers}: nothing in the apply (callers from
 *       outside, after it);
 *   <li>Service Account User on an account ({@code google_service_account_iam_member}): the
 *       resources the deployer creates as that account, the ones that name it.
 * </ul>
 *
 * A grant to anything else fails the check until this class says what uses it. A grant on its user
 * itself (the dead-letter subscriber role on the BigQuery subscription) can only follow the user,
 * and is left out.
 */
class IamWaitsTest {
  private static final Pattern GRANT = Pattern.compile(".*_iam_(member|binding|policy)$");

  /**
   * What acts with a service agent's rights, by the agent's service. A grant to the agent of a
   * service not listed here fails the check.
   */
  static final Map<String, Predicate<TerraformModules.Block>> AGENT_USERS =
      Map.of(
          // Pub/Sub writes a BigQuery (or Cloud Storage) subscription's rows, and moves a
          // subscription's undeliverable messages to its dead-letter topic, as its agent.
          "pubsub.googleapis.com",
          r ->
              r.type().equals("google_pubsub_subscription")
                  && (r.childBlock("bigquery_config") != null
                      || r.childBlock("cloud_storage_config") != null
                      || r.childBlock("dead_letter_policy") != null));

  /** One grant and one resource (or root output) that uses it. */
  record Use(String grant, String principal, String user, String file) {}

  @Test
  void everyGrant_isWaitedForByWhatUsesIt() {
    assertEquals(List.of(), problems(TerraformModules.read(DeployedFunctions.TERRAFORM)));
  }

  /**
   * The derivation finds the uses the check is there for: without them it would pass on nothing.
   */
  @Test
  void uses_areDerivedFromTheConfiguration() {
    List<String> uses = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (TerraformModules.Module module :
        TerraformModules.of(TerraformModules.read(DeployedFunctions.TERRAFORM)).values()) {
      for (Use use : uses(module, problems)) {
        uses.add(module.dir() + ": " + use.grant() + " -> " + use.user());
      }
    }

    assertEquals(List.of(), problems);
    for (String expected :
        List.of(
            "modules/gateway: google_bigquery_table_iam_member.pubsub_writer"
                + " -> google_pubsub_subscription.bigquery",
            "modules/gateway: google_pubsub_topic_iam_member.bigquery_dead_letter_publisher"
                + " -> google_pubsub_subscription.bigquery",
            "modules/gateway: google_project_iam_member.build_staged_source"
                + " -> google_cloudfunctions2_function.gateway",
            "modules/gateway: google_pubsub_topic_iam_member.publisher"
                + " -> google_cloud_run_v2_service.native_grpc",
            "modules/instance: google_cloud_run_v2_service_iam_member.export_scheduler"
                + " -> google_cloud_scheduler_job.export",
            "modules/instance: google_service_account_iam_member.deployer"
                + " -> google_cloud_scheduler_job.export",
            "modules/instance: google_storage_bucket_iam_member.build_source"
                + " -> google_cloudfunctions2_function.record_event",
            "modules/instance: google_secret_manager_secret_iam_member.access"
                + " -> google_cloudfunctions2_function.export",
            "examples/complete: google_artifact_registry_repository_iam_member.image_build"
                + " -> output.image_build_service_account")) {
      assertTrue(uses.contains(expected), expected + " not among\n" + String.join("\n", uses));
    }
  }

  @Test
  void check_namesTheBigQuerySubscriptionWithoutItsWait() {
    Map<String, String> files = TerraformModules.read(DeployedFunctions.TERRAFORM);
    String file = "modules/gateway/main.tf";
    files.put(
        file,
        TerraformModules.replaceOnce(
            files.get(file),
            "depends_on = [time_sleep.bigquery_iam_propagation]",
            "depends_on = [google_bigquery_table_iam_member.pubsub_writer]"));

    assertEquals(
        List.of(
            file
                + ": google_pubsub_subscription.bigquery uses"
                + " google_bigquery_table_iam_member.pubsub_writer (granted to"
                + " google_project_service_identity.pubsub) without waiting for it: give it"
                + " depends_on a time_sleep whose triggers name the grant",
            file
                + ": google_pubsub_subscription.bigquery uses"
                + " google_pubsub_topic_iam_member.bigquery_dead_letter_publisher (granted to"
                + " google_project_service_identity.pubsub) without waiting for it: give it"
                + " depends_on a time_sleep whose triggers name the grant"),
        problems(files));
  }

  @Test
  void check_namesTheSchedulerJobWithoutItsWait() {
    Map<String, String> files = TerraformModules.read(DeployedFunctions.TERRAFORM);
    String file = "modules/instance/main.tf";
    files.put(
        file,
        TerraformModules.replaceOnce(
            files.get(file),
            "depends_on = [time_sleep.iam_propagation, time_sleep.scheduler_iam_propagation]",
            "depends_on = [time_sleep.iam_propagation]"));

    assertEquals(
        List.of(
            file
                + ": google_cloud_scheduler_job.export uses"
                + " google_cloud_run_v2_service_iam_member.export_scheduler (granted to"
                + " google_service_account.scheduler) without waiting for it: give it depends_on a"
                + " time_sleep whose triggers name the grant"),
        problems(files));
  }

  /** A wait that no longer triggers on a grant does not wait again when the grant is remade. */
  @Test
  void check_namesAGrantLeftOutOfTheWaitsTriggers() {
    Map<String, String> files = TerraformModules.read(DeployedFunctions.TERRAFORM);
    String file = "modules/gateway/main.tf";
    files.put(
        file,
        TerraformModules.replaceOnce(
            files.get(file),
            "tokens    = google_secret_manager_secret_iam_member.instance_tokens.id",
            "tokens    = google_secret_manager_secret.instance_tokens.id"));

    List<String> problems = problems(files);
    String expected =
        file
            + ": google_cloudfunctions2_function.gateway uses"
            + " google_secret_manager_secret_iam_member.instance_tokens (granted to"
            + " google_service_account.gateway) without waiting for it: give it depends_on a"
            + " time_sleep whose triggers name the grant";
    assertTrue(problems.contains(expected), String.join("\n", problems));
  }

  /** A new kind of principal fails until this class says what uses grants to it. */
  @Test
  void check_refusesAGrantWhoseUsersItCannotTell() {
    Map<String, String> files = TerraformModules.read(DeployedFunctions.TERRAFORM);
    String file = "modules/gateway/main.tf";
    files.put(
        file,
        files.get(file)
            + """

            resource "google_project_service_identity" "cloudbuild" {
              provider = google-beta
              project  = var.project_id
              service  = "cloudbuild.googleapis.com"
            }

            resource "google_pubsub_topic_iam_member" "injected_agent" {
              project = var.project_id
              topic   = google_pubsub_topic.events.name
              role    = "roles/pubsub.publisher"
              member  = google_project_service_identity.cloudbuild.member
            }

            resource "google_pubsub_topic_iam_member" "injected_literal" {
              project = var.project_id
              topic   = google_pubsub_topic.events.name
              role    = "roles/pubsub.publisher"
              member  = "serviceAccount:someone@example.iam.gserviceaccount.com"
            }
            """);

    assertEquals(
        List.of(
            file
                + ": google_pubsub_topic_iam_member.injected_agent is granted to the agent of"
                + " cloudbuild.googleapis.com, and IamWaitsTest.AGENT_USERS does not say what"
                + " that service does with it: declare it there",
            file
                + ": google_pubsub_topic_iam_member.injected_literal: cannot tell what uses a grant"
                + " to \"serviceAccount:someone@example.iam.gserviceaccount.com\": grant to a"
                + " google_service_account or google_project_service_identity of the module, or"
                + " say in IamWaitsTest what uses it"),
        problems(files));
  }

  // --- the check ---

  /** What is wrong with the waits of {@code files} (path relative to terraform/ → text). */
  static List<String> problems(Map<String, String> files) {
    List<String> problems = new ArrayList<>();
    for (TerraformModules.Module module : TerraformModules.of(files).values()) {
      for (Use use : uses(module, problems)) {
        if (!waitsFor(module, use)) {
          problems.add(
              use.file()
                  + ": "
                  + use.user()
                  + " uses "
                  + use.grant()
                  + " (granted to "
                  + use.principal()
                  + ") without waiting for it: give it depends_on a time_sleep whose triggers"
                  + " name the grant");
        }
      }
    }
    return problems;
  }

  /** Every use of every grant of {@code module}; grants it cannot follow go to {@code problems}. */
  static List<Use> uses(TerraformModules.Module module, List<String> problems) {
    List<Use> uses = new ArrayList<>();
    for (TerraformModules.Block grant : module.resources().values()) {
      if (!GRANT.matcher(grant.type()).matches()) {
        continue;
      }
      String where = grant.file() + ": " + grant.address();
      if (grant.type().endsWith("_iam_policy")) {
        problems.add(
            where + ": an authoritative policy; use *_iam_member grants, which this checks");
        continue;
      }
      String member = grant.argument(grant.type().endsWith("_iam_binding") ? "members" : "member");
      if (member == null) {
        problems.add(where + " has no member");
        continue;
      }
      // principal -> its users (address -> file)
      Map<String, Map<String, String>> users = new TreeMap<>();
      // A for_each grant names its principals in its for_each (member = each.value...).
      String named = member.contains("each.") ? member + " " + grant.argument("for_each") : member;
      Set<String> accounts = new LinkedHashSet<>();
      Set<String> agents = new LinkedHashSet<>();
      for (String p : module.references(named)) {
        if (p.startsWith("google_service_account.")) {
          accounts.add(p);
        } else if (p.startsWith("google_project_service_identity.")) {
          agents.add(p);
        }
      }
      if (grant.type().startsWith("google_service_account_iam_")) {
        // Service Account User: used by what is created as the account it is granted on.
        Map<String, String> actedAs = new TreeMap<>();
        for (String target : module.references(grant.body().replace(member, ""))) {
          if (target.startsWith("google_service_account.")) {
            actedAs.putAll(namers(module, target));
          }
        }
        users.put(member.trim(), actedAs);
      } else if (member.matches("\\s*\"(allUsers|allAuthenticatedUsers)\"\\s*")) {
        continue; // public: called from outside, after the apply, never by it
      } else if (!accounts.isEmpty() || !agents.isEmpty()) {
        for (String account : accounts) {
          users.put(account, namers(module, account));
        }
        boolean declared = true;
        for (String agent : agents) {
          String service = module.resources().get(agent).argument("service");
          String serviceName = service == null ? "?" : service.trim().replace("\"", "");
          Predicate<TerraformModules.Block> acts = AGENT_USERS.get(serviceName);
          if (acts == null) {
            problems.add(
                where
                    + " is granted to the agent of "
                    + serviceName
                    + ", and IamWaitsTest.AGENT_USERS does not say what that service does with it:"
                    + " declare it there");
            declared = false;
            continue;
          }
          Map<String, String> acting = new TreeMap<>();
          for (TerraformModules.Block r : module.resources().values()) {
            if (acts.test(r)) {
              acting.put(r.address(), r.file());
            }
          }
          users.put(agent, acting);
        }
        if (!declared) {
          continue;
        }
      } else {
        problems.add(
            where
                + ": cannot tell what uses a grant to "
                + member.trim()
                + ": grant to a google_service_account or google_project_service_identity of the"
                + " module, or say in IamWaitsTest what uses it");
        continue;
      }
      Set<String> before = module.dependencies(grant.address());
      for (Map.Entry<String, Map<String, String>> principal : users.entrySet()) {
        for (Map.Entry<String, String> user : principal.getValue().entrySet()) {
          // A grant on its user itself can only follow it (and is not used at its creation).
          if (!before.contains(user.getKey())) {
            uses.add(new Use(grant.address(), principal.getKey(), user.getKey(), user.getValue()));
          }
        }
      }
    }
    return uses;
  }

  /**
   * The resources that name {@code account} (grants, waits and accounts aside) and, in a root
   * configuration, the outputs that do: address → file.
   */
  private static Map<String, String> namers(TerraformModules.Module module, String account) {
    Map<String, String> namers = new TreeMap<>();
    for (TerraformModules.Block r : module.resources().values()) {
      if (!GRANT.matcher(r.type()).matches()
          && !r.type().equals("time_sleep")
          && !r.type().equals("google_service_account")
          && module.references(r.body()).contains(account)) {
        namers.put(r.address(), r.file());
      }
    }
    if (module.root()) {
      for (TerraformModules.Block output : module.outputs().values()) {
        if (module.references(output.body()).contains(account)) {
          namers.put(output.address(), output.file());
        }
      }
    }
    return namers;
  }

  /** Whether the user depends on a time_sleep (with a duration) whose triggers name the grant. */
  private static boolean waitsFor(TerraformModules.Module module, Use use) {
    TerraformModules.Block user =
        use.user().startsWith("output.")
            ? module.outputs().get(use.user())
            : module.resources().get(use.user());
    for (String dependency : module.references(user.body())) {
      TerraformModules.Block sleep = module.resources().get(dependency);
      if (!sleep.type().equals("time_sleep") || sleep.argument("create_duration") == null) {
        continue;
      }
      String triggers = sleep.argument("triggers");
      if (triggers != null && module.references(triggers).contains(use.grant())) {
        return true;
      }
    }
    return false;
  }
}
