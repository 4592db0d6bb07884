terraform {
  # 1.11: write-only arguments (secret_data_wo) and ephemeral values.
  required_version = ">= 1.11.0"

  required_providers {
    # 6.50.0 is what the offline checks read the schema of (terraform/README.md, "Provider
    # versions"); older 6.x releases are not checked and may lack the arguments used here.
    google = {
      source  = "hashicorp/google"
      version = ">= 6.50.0, < 7.0.0"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = ">= 6.50.0, < 7.0.0"
    }
    time = {
      source  = "hashicorp/time"
      version = ">= 0.9, < 1.0"
    }
  }
}
