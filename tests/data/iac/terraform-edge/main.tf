resource "aws_wafv2_web_acl" "edge" {
  name  = "edge"
  scope = "CLOUDFRONT"
}

resource "aws_cloudfront_distribution" "web" {
  comment    = "shop-web"
  enabled    = true
  web_acl_id = aws_wafv2_web_acl.edge.arn

  logging_config {
    bucket = "shop-logs.s3.amazonaws.com"
    prefix = "web/"
  }

  tags = { Environment = "prod" }
}

resource "aws_cloudfront_monitoring_subscription" "web" {
  distribution_id = aws_cloudfront_distribution.web.id

  monitoring_subscription {
    realtime_metrics_subscription_config {
      realtime_metrics_subscription_status = "Enabled"
    }
  }
}

resource "aws_cloudfront_distribution" "media" {
  comment = "shop-media"
  enabled = true
  tags    = { Environment = "prod" }
}
