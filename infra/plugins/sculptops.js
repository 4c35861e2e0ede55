'use strict';

// Two things osls v3 cannot say in serverless.yml:
//
// 1. Stage settings. osls creates the REST API stage through an AWS::ApiGateway::Deployment whose
//    logical id it makes up at package time, so `resources` cannot reach it. This plugin adds the
//    stage's throttling (custom.stageThrottle) as the deployment's StageDescription, and makes the
//    WAF association wait for that deployment (the stage must exist before it is associated).
//
// 2. Offline packaging. osls asks CloudFormation whether each layer is already uploaded
//    (describeStacks) even when it only packages. With SCULPTOPS_OFFLINE_PACKAGE=1 the plugin
//    answers "no such stack" and refuses every other AWS call: `package` then needs no
//    credentials and no network, and can never reach an account.
class SculptOpsPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'after:package:compileEvents': () => this.stageSettings(),
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.wafAfterStage(),
    };
    if (process.env.SCULPTOPS_OFFLINE_PACKAGE === '1') {
      const provider = serverless.getProvider('aws');
      provider.request = async (service, method, params) => {
        if (service === 'CloudFormation' && method === 'describeStacks') {
          throw new Error(`Stack with id ${params.StackName} does not exist`);
        }
        throw new Error(`offline package: refusing AWS call ${service}.${method}`);
      };
    }
  }

  stageSettings() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const throttle = (this.serverless.service.custom || {}).stageThrottle || {};
    const deployments = Object.keys(template.Resources).filter(
      (id) => template.Resources[id].Type === 'AWS::ApiGateway::Deployment'
    );
    for (const id of deployments) {
      template.Resources[id].Properties.StageDescription = {
        ThrottlingRateLimit: Number(throttle.rateLimit),
        ThrottlingBurstLimit: Number(throttle.burstLimit),
        MetricsEnabled: true,
        Description: 'SculptOps API stage (throttled; WAF rate rule attached)',
      };
    }
  }

  wafAfterStage() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const deployments = Object.keys(template.Resources).filter(
      (id) => template.Resources[id].Type === 'AWS::ApiGateway::Deployment'
    );
    const association = template.Resources.WebAclAssociation;
    if (association && deployments.length) {
      association.DependsOn = deployments;
    }
  }
}

module.exports = SculptOpsPlugin;
