-- A CRM customer's contacts: the profile and interaction history of a customer linked to a host CRM
-- record gather every contact linked to it (Tx.ListContactsByCRMRef). Only linked contacts are
-- indexed.
CREATE INDEX contacts_crm_ref ON contacts (workspace_id, (doc->>'CRMRef')) WHERE doc->>'CRMRef' <> '';
