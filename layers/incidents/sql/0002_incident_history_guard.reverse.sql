DROP TRIGGER IF EXISTS incident_history_status_of_step ON incidents_incidenttransition;
DROP TRIGGER IF EXISTS incident_history_status_of_incident ON incidents_incident;
DROP TRIGGER IF EXISTS incident_history_steps_fixed ON incidents_incidenttransition;
DROP TRIGGER IF EXISTS incident_history_chain ON incidents_incidenttransition;
DROP FUNCTION IF EXISTS gridmap_incident_step_fixed();
DROP FUNCTION IF EXISTS gridmap_incident_status_matches_history();
DROP FUNCTION IF EXISTS gridmap_incident_step_follows();
