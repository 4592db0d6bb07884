package dev.tally.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * No build account may read storage across the project: the Terraform state, which holds the
 * database password and the gateway token, may be in a bucket of the same project, and a build runs
 * code from its sources (buildpacks, Dockerfiles) as its account. Build accounts read the buckets
 * they need, granted on those buckets, or on the project with an IAM condition that limits the
 * grant to named buckets.
 *
 * <p>A build account is a {@code google_service_account} that a function's {@code build_config}
 * names, or whose name says it builds ({@code build} in its resource name or account_id). A role
 * reads storage when it is a {@code roles/storage.*} role, a basic role (owner, editor, viewer), or
 * one of the build roles that carry {@code storage.objects.get} ({@link #STORAGE_READING}).
 */
class BuildAccountsTest {
  private static final Pattern PROJECT_WIDE =
      Pattern.compile("google_(project|folder|organization)_iam_(member|binding)");
  private static final Pattern STORAGE_READING =
      Pattern.compile(
          "roles/(storage\\..*|owner|editor|viewer|cloudbuild\\.builds\\.builder|run\\.builder)");

  /** A condition naming a bucket: resource.name.startsWith("projects/_/buckets/NAME...") */
  private static final Pattern BUCKET_CONDITION =
      Pattern.compile("resource\\.name\\.startsWith\\(\\\\\"projects/_/buckets/[^\\\\\"/]+");

  @Test
  void noBuildAccount_readsStorageAcrossTheProject() {
    assertEquals(List.of(), problems(TerraformModules.read(DeployedFunctions.TERRAFORM)));
  }

  @Test
  void check_namesAProjectWideStorageRoleOfABuildAccount() {
    Map<String, String> files = TerraformModules.read(DeployedFunctions.TERRAFORM);
    String file = "modules/instance/main.tf";
    files.put(
        file,
        TerraformModules.replaceOnce(
            files.get(file),
            "for_each = toset(concat([\"roles/logging.logWriter\"],",
            "for_each = toset(concat([\"roles/logging.logWriter\", \"roles/storage.objectViewer\"],"));

    assertEquals(
        List.of(
            file
                + ": google_project_iam_member.build grants roles/storage.objectViewer on the whole"
                + " project to build account google_service_account.build: grant it on the source"
                + " bucket (google_storage_bucket_iam_member), or add a condition that limits it to"
                + " named buckets"),
        problems(files));
  }

  @Test
  void check_namesTheStagedSourcesGrantWithoutItsCondition() {
    Map<String, String> files = TerraformModules.read(DeployedFunctions.TERRAFORM);
    String file = "modules/gateway/main.tf";
    String text = files.get(file);
    int start = text.indexOf("resource \"google_project_iam_member\" \"build_staged_source\" {");
    int condition = text.indexOf("  condition {", start);
    int end = Hcl.blockEnd(text, text.indexOf('{', condition));
    files.put(file, text.substring(0, condition) + text.substring(end));

    assertEquals(
        List.of(
            file
                + ": google_project_iam_member.build_staged_source grants"
                + " roles/storage.objectViewer on the whole project to build account"
                + " google_service_account.build: grant it on the source bucket"
                + " (google_storage_bucket_iam_member), or add a condition that limits it to named"
                + " buckets"),
        problems(files));
  }

  /** The build accounts this check found: without them it would pass on nothing. */
  @Test
  void buildAccounts_areFoundInEveryConfiguration() {
    List<String> found = new ArrayList<>();
    for (TerraformModules.Module module :
        TerraformModules.of(TerraformModules.read(DeployedFunctions.TERRAFORM)).values()) {
      for (String account : buildAccounts(module)) {
        found.add(module.dir() + ": " + account);
      }
    }
    for (String expected :
        List.of(
            "examples/complete: google_service_account.image_build",
            "modules/gateway: google_service_account.build",
            "modules/instance: google_service_account.build")) {
      assertTrue(found.contains(expected), expected + " not among " + found);
    }
    assertEquals(
        List.of(),
        found.stream().filter(a -> !a.endsWith("build")).toList(),
        "only build accounts");
  }

  static List<String> problems(Map<String, String> files) {
    List<String> problems = new ArrayList<>();
    for (TerraformModules.Module module : TerraformModules.of(files).values()) {
      Set<String> builders = buildAccounts(module);
      for (TerraformModules.Block grant : module.resources().values()) {
        if (!PROJECT_WIDE.matcher(grant.type()).matches()) {
          continue;
        }
        String member = grant.argument(grant.type().endsWith("_binding") ? "members" : "member");
        String named =
            member != null && member.contains("each.")
                ? member + " " + grant.argument("for_each")
                : String.valueOf(member);
        String condition = grant.childBody("condition");
        boolean limitedToBuckets = condition != null && BUCKET_CONDITION.matcher(condition).find();
        for (String account : module.references(named)) {
          if (!builders.contains(account) || limitedToBuckets) {
            continue;
          }
          String roles = grant.argument("role") + " " + grant.argument("for_each");
          for (String role : TerraformModules.literals(roles, "roles/")) {
            if (STORAGE_READING.matcher(role).matches()) {
              problems.add(
                  grant.file()
                      + ": "
                      + grant.address()
                      + " grants "
                      + role
                      + " on the whole project to build account "
                      + account
                      + ": grant it on the source bucket (google_storage_bucket_iam_member), or"
                      + " add a condition that limits it to named buckets");
            }
          }
        }
      }
    }
    return problems;
  }

  /** The build accounts of a module, by address. */
  static Set<String> buildAccounts(TerraformModules.Module module) {
    Set<String> accounts = new LinkedHashSet<>();
    for (TerraformModules.Block r : module.resources().values()) {
      if (r.type().equals("google_service_account")
          && (r.name().contains("build")
              || String.valueOf(r.argument("account_id")).contains("build"))) {
        accounts.add(r.address());
      }
      String build = r.childBody("build_config");
      if (build != null) {
        for (String named : module.references(build)) {
          if (named.startsWith("google_service_account.")) {
            accounts.add(named);
          }
        }
      }
    }
    return accounts;
  }
}
