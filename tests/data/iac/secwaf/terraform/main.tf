resource "aws_secretsmanager_secret" "orders_db" {
  name = "orders-db"
}

resource "aws_secretsmanager_secret_rotation" "orders_db" {
  secret_id           = aws_secretsmanager_secret.orders_db.id
  rotation_lambda_arn = "arn:aws:lambda:us-east-1:123456789012:function:rotate-orders-db"

  rotation_rules {
    automatically_after_days = 30
  }
}

resource "aws_secretsmanager_secret" "partner_key" {
  name = "partner-api-key"
}

resource "aws_wafv2_ip_set" "blocked" {
  name               = "blocked-addresses"
  scope              = "REGIONAL"
  ip_address_version = "IPV4"
  addresses          = []
}

resource "aws_wafv2_web_acl" "api" {
  name  = "orders-api"
  scope = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "blocked-addresses"
    priority = 0

    action {
      block {}
    }

    statement {
      ip_set_reference_statement {
        arn = aws_wafv2_ip_set.blocked.arn
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "blocked"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "orders-api"
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl" "rate_only" {
  name  = "shop-edge"
  scope = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "rate-limit"
    priority = 0

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit              = 2000
        aggregate_key_type = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "rate"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "shop-edge"
    sampled_requests_enabled   = true
  }
}
