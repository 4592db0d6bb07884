terraform {
  # 1.11: write-only arguments and ephemeral values keep the secrets out of the state.
  required_version = ">= 1.11.0"

  # The state holds no secret values (they are written through write-only arguments), but it
  # describes the whole deployment: keep it in a bucket that is versioned and closed to the public
  # (terraform/README.md, "Deploy"):
  #   terraform init -backend-config="bucket=<project>-tally-tfstate"
  backend "gcs" {
    prefix = "tally/complete"
  }

  # Exact versions, the ones the offline checks were run against. `terraform init` writes
  # .terraform.lock.hcl with their checksums: commit it, so that every apply uses these builds.
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.50.0"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "6.50.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "3.7.2"
    }
    time = {
      source  = "hashicorp/time"
      version = "0.13.1"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}
