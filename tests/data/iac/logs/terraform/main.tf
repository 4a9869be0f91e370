resource "aws_cloudwatch_log_group" "handler" {
  name              = "/aws/lambda/orders-handler"
  retention_in_days = 14
}

resource "aws_cloudwatch_log_group" "audit" {
  name = "audit"
}

resource "aws_api_gateway_rest_api" "orders" {
  name = "orders"
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.apigateway_logs.arn
}
