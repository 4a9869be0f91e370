resource "aws_dynamodb_table" "orders" {
  name         = "orders-prod"
  billing_mode = "PROVISIONED"
  read_capacity  = 5
  write_capacity = 5
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = false
  }

  tags = {
    Environment = "prod"
  }
}

resource "aws_appautoscaling_target" "orders_read" {
  service_namespace  = "dynamodb"
  resource_id        = "table/${aws_dynamodb_table.orders.name}"
  scalable_dimension = "dynamodb:table:ReadCapacityUnits"
  min_capacity       = 5
  max_capacity       = 100
}

# preflight:waive s3-versioning-enabled expires=2027-01-31 owner=team-orders build logs are reproducible
resource "aws_s3_bucket" "logs" {
  bucket = "orders-logs"
}

resource "aws_cognito_user_pool" "customers" {
  name              = "customers-prod"
  mfa_configuration = "OPTIONAL"
  tags = {
    Environment = "prod"
  }
}

resource "aws_lambda_function" "api" {
  function_name = "orders-api"
  runtime       = "python3.12"
  handler       = "app.handler"
  role          = aws_iam_role.api.arn
  timeout       = 20
  memory_size   = 512
  reserved_concurrent_executions = var.reserved
}
