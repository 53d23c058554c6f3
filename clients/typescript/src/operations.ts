// The operations this client ships. graphql-codegen reads each `graphql(...)` call and
// generates its result and variable types; the same documents, hashed, are the trusted
// documents manifest (persisted-documents.json).
import { graphql } from "./gql/index.js";

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      kind
      organizationId
      permissions
    }
  }
`);

export const OrganizationsQuery = graphql(`
  query Organizations($first: Int, $after: String, $onboarding: OnboardingState) {
    organizations(first: $first, after: $after, onboarding: $onboarding) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

export const CreateOrganizationMutation = graphql(`
  mutation CreateOrganization($input: CreateOrganizationInput!) {
    createOrganization(input: $input) {
      organization {
        id
        name
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const AddDomainMutation = graphql(`
  mutation AddDomain($input: AddDomainInput!) {
    addDomain(input: $input) {
      domain {
        id
        domain
        state
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export const OnboardingQuery = graphql(`
  query Onboarding($id: ID!) {
    organization(id: $id) {
      onboarding {
        state
        completedSteps
        totalSteps
        steps {
          name
          state
          completed
        }
      }
    }
  }
`);

export const OnboardingSubscription = graphql(`
  subscription OnboardingStatus($organizationId: ID!) {
    onboarding(organizationId: $organizationId) {
      state
      completedSteps
      totalSteps
      domains {
        state
        verified
        pending
      }
    }
  }
`);
