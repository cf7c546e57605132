// The hotline's role ladder as the console needs it (contracts/events.py ROLE_LADDER decides
// authority on the server; this only chooses what to show).
export const HOTLINE = ["seat_agent", "duty_leader", "deputy_team_lead"];
export const LEADERS = ["duty_leader", "deputy_team_lead"];
export const isHotline = (staff) => !!staff && HOTLINE.includes(staff.role);
export const isLeader = (staff) => !!staff && LEADERS.includes(staff.role);
