terraform {
  # 1.11: write-only arguments (password_wo, secret_data_wo) and ephemeral values.
  required_version = ">= 1.11.0"

  required_providers {
    # 6.50.0 is what the offline checks read the schema of (terraform/README.md, "Provider
    # versions"); older 6.x releases are not checked and may lack the arguments used here.
    google = {
      source  = "hashicorp/google"
      version = ">= 6.50.0, < 7.0.0"
    }
    # 3.7: the ephemeral random_password.
    random = {
      source  = "hashicorp/random"
      version = ">= 3.7.0, < 4.0.0"
    }
    time = {
      source  = "hashicorp/time"
      version = ">= 0.9, < 1.0"
    }
  }
}
