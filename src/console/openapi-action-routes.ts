import type { ApiRoute } from './openapi-route.js';
import { str, strOrNull, gateOutcomes, actionAnswer } from './openapi-schemas.js';

/** The actions of `/api/v1`: approve, reject, override, promote, roll back. */
export const ACTION_ROUTES: ApiRoute[] = [
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/releases/{sha}/approve',
    operationId: 'approveRelease',
    summary:
      "Approve what of the release waits (an approver's approval, counted like a deployment review), then re-evaluate.",
    auth: true,
    body: {
      type: 'object',
      properties: {
        environment: {
          type: 'string',
          description: 'The waiting environment or stage; all waiting ones when left out.',
        },
      },
    },
    response: {
      type: 'object',
      properties: {
        ...actionAnswer,
        approved: { type: 'array', items: str },
        by: str,
        gates: gateOutcomes,
        promotions: { type: 'integer', description: 'Held promotions looked at again.' },
      },
    },
  },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/releases/{sha}/reject',
    operationId: 'rejectRelease',
    summary:
      "Reject what of the release waits: a protection rule request is answered rejected with the user's name and reason, a held promotion is dropped.",
    auth: true,
    body: {
      type: 'object',
      required: ['reason'],
      properties: {
        environment: {
          type: 'string',
          description: 'The waiting environment or stage; all waiting ones when left out.',
        },
        reason: { type: 'string', minLength: 1, maxLength: 500 },
      },
    },
    response: {
      type: 'object',
      properties: {
        ...actionAnswer,
        rejected: {
          type: 'array',
          items: {
            type: 'object',
            properties: { environment: str, answer: { enum: ['approved', 'rejected', 'dropped', null] } },
          },
        },
        by: str,
        reason: str,
      },
    },
  },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/releases/{sha}/override',
    operationId: 'overrideRelease',
    summary:
      "Grant (or, as a second member, confirm) an exception for a stage, with reason and risk; members of the policy's overrides.teams only.",
    auth: true,
    body: {
      type: 'object',
      required: ['stage', 'reason', 'risk'],
      properties: {
        stage: str,
        reason: { type: 'string', minLength: 1, maxLength: 2000 },
        risk: { type: 'string', minLength: 1, maxLength: 2000 },
        rules: { type: 'array', items: str },
      },
    },
    response: {
      type: 'object',
      properties: {
        override: {
          type: 'object',
          properties: {
            status: { enum: ['granted', 'confirmed'] },
            id: str,
            needsConfirmation: { type: 'boolean' },
            expiresAt: strOrNull,
          },
        },
        ...actionAnswer,
        stage: str,
        by: str,
        gates: gateOutcomes,
        promotions: { type: 'integer', description: 'Held promotions looked at again.' },
      },
    },
  },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/releases/{sha}/promote',
    operationId: 'promoteRelease',
    summary:
      'Deploy the release to its next stage, with the user as its deployer: created when the gate allows, held until it does when it waits, refused when it blocks. Once per release and stage.',
    auth: true,
    body: {
      type: 'object',
      properties: {
        stage: { type: 'string', description: 'The expected next stage; refused when it is not the next one.' },
      },
    },
    response: {
      type: 'object',
      properties: {
        ...actionAnswer,
        promotionId: { type: ['integer', 'null'] },
        deploymentId: { type: ['integer', 'null'], description: 'Null while the promotion is held.' },
        stage: str,
        environment: str,
        gateDecision: { enum: ['allow', 'wait', null] },
        waitingFor: { type: 'array', items: str, description: 'The rule codes a held promotion waits for.' },
        heldUntil: strOrNull,
        by: str,
      },
    },
  },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/releases/{sha}/rollback',
    operationId: 'rollbackRelease',
    summary:
      "After this release's verification failed in an environment, deploy the last release verified there through GitHub's Deployments API (the gate lets it through). Needs write access; once per failed verification.",
    auth: true,
    body: {
      type: 'object',
      required: ['environment'],
      properties: {
        environment: {
          type: 'string',
          description:
            'The stage or GitHub environment to roll back; refused when its latest failed verification is of another release.',
        },
      },
    },
    response: {
      type: 'object',
      properties: {
        ...actionAnswer,
        deploymentId: { type: 'integer', description: 'The rollback deployment (created now, or before).' },
        rollbackOf: { type: 'integer', description: 'The deployment whose verification failed.' },
        sha: { ...str, description: 'The release deployed: the last one verified there.' },
        environment: str,
        by: str,
      },
    },
  },
];
