// The CDK app whose real `cdk synth` output sits next to this file (aws-cdk-lib 2.276.0,
// constructs 10, synthesised with `node app.js` and the CLI's default context flags:
// path metadata, asset metadata, version reporting). The templates are untouched output;
// tests/test_iac_templates.py checks preflight's verdicts on them.
const cdk = require('aws-cdk-lib');
const ddb = require('aws-cdk-lib/aws-dynamodb');
const s3 = require('aws-cdk-lib/aws-s3');
const lambda = require('aws-cdk-lib/aws-lambda');
const apigw = require('aws-cdk-lib/aws-apigateway');
const apigw2 = require('aws-cdk-lib/aws-apigatewayv2');
const integ = require('aws-cdk-lib/aws-apigatewayv2-integrations');
const cognito = require('aws-cdk-lib/aws-cognito');
const logs = require('aws-cdk-lib/aws-logs');

class Storage extends cdk.NestedStack {
  constructor(scope, id, props) {
    super(scope, id, props);
    new s3.Bucket(this, 'ArchiveBucket', { versioned: true, removalPolicy: cdk.RemovalPolicy.RETAIN });
    new ddb.TableV2(this, 'GlobalTable', { partitionKey: { name: 'pk', type: ddb.AttributeType.STRING }, pointInTimeRecovery: true });
  }
}

class OrdersStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const table = new ddb.Table(this, 'OrdersTable', {
      partitionKey: { name: 'pk', type: ddb.AttributeType.STRING },
      billingMode: ddb.BillingMode.PROVISIONED, readCapacity: 5, writeCapacity: 5,
      pointInTimeRecovery: true, deletionProtection: true,
    });
    table.autoScaleReadCapacity({ minCapacity: 5, maxCapacity: 100 }).scaleOnUtilization({ targetUtilizationPercent: 70 });
    new s3.Bucket(this, 'Logs', { versioned: false });
    const fn = new lambda.Function(this, 'Api', {
      runtime: lambda.Runtime.PYTHON_3_12, handler: 'index.handler',
      code: lambda.Code.fromAsset('lambda'), timeout: cdk.Duration.seconds(20), memorySize: 512,
    });
    const logGroup = new logs.LogGroup(this, 'AccessLogs');
    new apigw.LambdaRestApi(this, 'RestApi', { handler: fn, deployOptions: {
      stageName: 'prod', throttlingRateLimit: 100, throttlingBurstLimit: 50, tracingEnabled: true,
      loggingLevel: apigw.MethodLoggingLevel.INFO, metricsEnabled: true,
      accessLogDestination: new apigw.LogGroupLogDestination(logGroup) } });
    const http = new apigw2.HttpApi(this, 'HttpApi', { defaultIntegration: new integ.HttpLambdaIntegration('Int', fn) });
    new cognito.UserPool(this, 'Users', { mfa: cognito.Mfa.OPTIONAL, deletionProtection: true });
    new Storage(this, 'Storage');
    cdk.Tags.of(this).add('Environment', 'prod');
  }
}

class ProdStage extends cdk.Stage {
  constructor(scope, id, props) { super(scope, id, props); new OrdersStack(this, 'OrdersStack'); }
}

const app = new cdk.App({ outdir: 'cdk.out', context: {'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:version-reporting': true} });
new OrdersStack(app, 'OrdersStack');
new ProdStage(app, 'Prod');
app.synth();
